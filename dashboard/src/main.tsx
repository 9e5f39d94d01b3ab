import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { prefetchRegistryFirstPage } from './pages/registry-query';
import { createAppRouter } from './routes';
import { SessionProvider } from './session';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: (count, error) => count < 1 && !('status' in error), staleTime: 5_000 } },
});

// Opening on the registry: its first page is asked for now, while React mounts, not after the first render.
prefetchRegistryFirstPage(queryClient, window.location);

const root = document.getElementById('root');
if (root === null) throw new Error('#root is missing');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <RouterProvider router={createAppRouter()} />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
