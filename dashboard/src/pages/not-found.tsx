import { Link } from 'react-router';

export default function NotFoundPage() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing in the dashboard at this address. <Link to="/">Back to the systems</Link>.
      </p>
    </section>
  );
}
