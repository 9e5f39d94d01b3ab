// The registry's "Register a system" form: its own chunk, loaded when the form is first opened (it brings zod).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { createSystemRequest } from '../../../functions/contracts/systems';
import { type AiSystem, EU_AI_ACT_CATEGORIES, RISK_TIERS } from '../../../functions/domain/types';
import { ApiError, api } from '../api';
import { Field, ProblemView } from '../ui';

export default function RegisterForm({ teams }: { teams: string[] }) {
  const client = useQueryClient();
  const [errors, setErrors] = useState<{ path: string; message: string }[]>([]);
  const mutation = useMutation({
    mutationFn: (body: unknown) => api.post<AiSystem>('/api/systems', body),
    onSuccess: () => client.invalidateQueries({ queryKey: ['systems'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const value = (k: string) => String(data.get(k) ?? '');
    const candidate = {
      name: value('name'),
      description: value('description'),
      ownerTeam: value('ownerTeam'),
      owner: value('owner'),
      riskTier: value('riskTier'),
      euAiActCategory: value('euAiActCategory'),
      domain: value('domain'),
      intendedPurpose: value('intendedPurpose'),
      dataSources: value('dataSources')
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
      humanOversight: value('humanOversight'),
    };
    // The same zod contract the handler applies: the form says what is wrong before the request is sent.
    const parsed = createSystemRequest.safeParse(candidate);
    if (!parsed.success) {
      setErrors(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
      return;
    }
    setErrors([]);
    mutation.mutate(parsed.data);
  };
  return (
    <form className="card form-grid" aria-label="Register a system" onSubmit={submit} noValidate>
      <Field label="Name">
        <input name="name" required maxLength={120} />
      </Field>
      <Field label="Owner team">
        {teams.length > 0 ? (
          <select name="ownerTeam">
            {teams.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        ) : (
          <input name="ownerTeam" required pattern="[a-z0-9][a-z0-9_-]{0,62}" />
        )}
      </Field>
      <Field label="Owner">
        <input name="owner" required />
      </Field>
      <Field label="Domain">
        <input name="domain" required />
      </Field>
      <Field label="Risk tier">
        <select name="riskTier" defaultValue="medium">
          {RISK_TIERS.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </Field>
      <Field label="EU AI Act category">
        <select name="euAiActCategory" defaultValue="limited">
          {EU_AI_ACT_CATEGORIES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </Field>
      <Field label="Intended purpose">
        <textarea name="intendedPurpose" required rows={2} />
      </Field>
      <Field label="Human oversight">
        <textarea name="humanOversight" required rows={2} />
      </Field>
      <Field label="Data sources" hint="one per line">
        <textarea name="dataSources" rows={2} />
      </Field>
      <Field label="Description">
        <textarea name="description" rows={2} />
      </Field>
      <div className="row span">
        <button type="submit" className="primary" disabled={mutation.isPending}>
          Register
        </button>
        {mutation.isSuccess ? (
          <span role="status">
            Registered <Link to={`/systems/${mutation.data.id}`}>{mutation.data.name}</Link> ({mutation.data.status})
          </span>
        ) : null}
      </div>
      {errors.length > 0 ? (
        <ul className="problem span" role="alert">
          {errors.map((e) => (
            <li key={e.path + e.message}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {mutation.isError ? (
        <div className="span">
          <ProblemView error={mutation.error instanceof ApiError ? mutation.error : mutation.error} />
        </div>
      ) : null}
    </form>
  );
}
