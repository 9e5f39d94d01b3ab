// What loosens a rule in two settings the relaxation rules of ADR 0025 did not classify (issue 17's follow-up; ADR
// 0051): a system's sample settings (the redaction and retention of its production samples, ADR 0042) and the
// policy's `monitoring.samples` section. Each change is classified field by field, in both directions; an equal value
// is neither. Pure: the store decides with it (a request for a second person, or the policy's quorum) and the audit
// events carry what it found.
import type { MonitoringPolicy } from './policy.js';
import { sampleMonitoringOf } from './sample-monitoring-policy.js';
import type { SampleSettings } from './samples.js';
import { BUILT_IN_REDACTIONS } from './types.js';

/** One field a change moves: its path and both values (null where absent: a rule added or removed). */
export interface SettingChange {
  field: string;
  from: string | number | boolean | null;
  to: string | number | boolean | null;
}

/** A change classified: what it loosens and what it tightens (either may be empty; both empty: nothing changes). */
export interface ClassifiedChange {
  loosens: SettingChange[];
  tightens: SettingChange[];
}

/**
 * How new sample settings differ from the current ones, for privacy: a built-in rule switched off, a system pattern
 * removed or its expression changed (no expression can be shown to match at least what another did), a pattern no
 * longer ignoring case, or a longer retention loosens; the opposite of each tightens. Pattern order is not compared:
 * rules replace disjoint placeholders, so reordering neither exposes nor hides more.
 */
export function sampleSettingsChanges(from: SampleSettings, to: SampleSettings): ClassifiedChange {
  const out: ClassifiedChange = { loosens: [], tightens: [] };
  for (const rule of BUILT_IN_REDACTIONS) {
    const was = from.redaction.builtIn.includes(rule);
    const is = to.redaction.builtIn.includes(rule);
    if (was !== is) (was ? out.loosens : out.tightens).push({ field: `redaction.builtIn.${rule}`, from: was, to: is });
  }
  const before = new Map(from.redaction.patterns.map((p) => [p.name, p]));
  const after = new Map(to.redaction.patterns.map((p) => [p.name, p]));
  for (const [name, was] of before) {
    const field = `redaction.patterns.${name}`;
    const is = after.get(name);
    if (!is) out.loosens.push({ field, from: was.pattern, to: null });
    else if (is.pattern !== was.pattern) out.loosens.push({ field, from: was.pattern, to: is.pattern });
    else if (Boolean(is.ignoreCase) !== Boolean(was.ignoreCase))
      (was.ignoreCase ? out.loosens : out.tightens).push({
        field: `${field}.ignoreCase`,
        from: Boolean(was.ignoreCase),
        to: Boolean(is.ignoreCase),
      });
  }
  for (const [name, is] of after) {
    if (!before.has(name)) out.tightens.push({ field: `redaction.patterns.${name}`, from: null, to: is.pattern });
  }
  if (to.retentionDays !== from.retentionDays)
    (to.retentionDays > from.retentionDays ? out.loosens : out.tightens).push({
      field: 'retentionDays',
      from: from.retentionDays,
      to: to.retentionDays,
    });
  return out;
}

/**
 * How the policy's `monitoring.samples` of `to` differs from that of `from` (defaults filled in, so an absent section
 * is the defaults): a wider tolerance, a larger minimum (fewer passes judged), a shorter window or a smaller maximum
 * (fewer samples scored) loosens monitoring; the opposite of each tightens.
 */
export function monitoringSamplesChanges(
  from: Pick<MonitoringPolicy, 'samples'>,
  to: Pick<MonitoringPolicy, 'samples'>,
): ClassifiedChange {
  const a = sampleMonitoringOf(from);
  const b = sampleMonitoringOf(to);
  const out: ClassifiedChange = { loosens: [], tightens: [] };
  // true: a larger value loosens.
  const larger = { tolerance: true, minSamples: true, windowHours: false, maxSamples: false } as const;
  for (const [name, largerLoosens] of Object.entries(larger) as [keyof typeof larger, boolean][]) {
    if (a[name] === b[name]) continue;
    const loosens = b[name] > a[name] === largerLoosens;
    (loosens ? out.loosens : out.tightens).push({ field: `monitoring.samples.${name}`, from: a[name], to: b[name] });
  }
  return out;
}
