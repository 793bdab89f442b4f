/**
 * The recognition rule of one Stripe product: ratable (the default), all at once, over a fixed
 * term, excluded, or a bundle split into components by standalone selling price. For bundles
 * the resulting split of a sample price is shown BEFORE saving, computed by the engine's own
 * allocation (`previewBundleSplit` → `allocate`/`decimalWeights` in shared/money.ts).
 */
import { useEffect, useState } from 'react';
import { Banner, Box, Button, Select, Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow, TextField } from '@stripe/ui-extension-sdk/ui';
import { BUNDLE_COMPONENTS_MAX, previewBundleSplit, type BundlePreviewResponse, type ProductRuleResponse, type QboAccount } from '../../shared/api/app.ts';
import { formatMinor, parseMajor } from '../../shared/money.ts';
import { ProductRuleSchema, type ProductRule, type RecognitionRule } from '../../shared/settings.ts';
import type { AppClient } from '../data/client.ts';
import { asAppError, useLoad } from '../hooks/useLoad.ts';
import { confirmDone, reportFailure } from '../hooks/notify.ts';
import { describeRule, RULE_OPTIONS } from './format.ts';
import { ErrorBanner, Loading } from './States.tsx';

type Trigger = 'booking' | 'payment' | 'fulfillment';
type ComponentRule = 'ratable' | 'point_in_time' | 'custom_term';

export interface ComponentDraft {
  name: string;
  ssp: string;
  account: string;
  rule: ComponentRule;
  term_months: string;
}

export interface RuleDraft {
  rule: RecognitionRule;
  trigger: Trigger;
  term_months: string;
  account: string;
  components: ComponentDraft[];
}

function draftOf(rule: ProductRule | null): RuleDraft {
  return {
    rule: rule?.rule ?? 'ratable',
    trigger: rule?.trigger ?? 'booking',
    term_months: rule?.term_months ? String(rule.term_months) : '',
    account: rule?.account ?? '',
    components: (rule?.components ?? []).map((c) => ({
      name: c.name,
      ssp: c.ssp,
      account: c.account ?? '',
      rule: c.rule,
      term_months: c.term_months ? String(c.term_months) : '',
    })),
  };
}

function emptyComponent(): ComponentDraft {
  return { name: '', ssp: '', account: '', rule: 'ratable', term_months: '' };
}

/** Turns the form into a rule the schema accepts, or the first reason it does not. */
export function ruleFromDraft(d: RuleDraft): { rule: ProductRule } | { error: string } {
  const months = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const candidate = {
    rule: d.rule,
    ...(d.rule === 'point_in_time' ? { trigger: d.trigger } : {}),
    ...(d.rule === 'custom_term' ? { term_months: months(d.term_months) } : {}),
    ...(d.account && d.rule !== 'bundle' ? { account: d.account } : {}),
    ...(d.rule === 'bundle'
      ? {
          components: d.components.map((c) => ({
            name: c.name.trim(),
            ssp: c.ssp.trim(),
            rule: c.rule,
            ...(c.account ? { account: c.account } : {}),
            ...(c.rule === 'custom_term' ? { term_months: months(c.term_months) } : {}),
          })),
        }
      : {}),
  };
  const parsed = ProductRuleSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? `${issue.path.join(' ')}: ` : '';
    return { error: `${where}${issue?.message ?? 'invalid rule'}` };
  }
  return { rule: parsed.data };
}

/** The split of `sample` (major units) over the draft's components, or why it cannot be computed. */
export function bundlePreview(sample: string, currency: string, components: readonly ComponentDraft[]): { preview: BundlePreviewResponse } | { error: string } {
  if (components.length === 0) return { error: 'Add at least one component.' };
  let amount: bigint;
  try {
    amount = parseMajor(sample, currency);
  } catch (err) {
    return { error: err instanceof Error ? err.message : 'Enter a sample price.' };
  }
  for (const c of components) {
    if (!/^\d{1,15}(\.\d{1,6})?$/.test(c.ssp.trim())) return { error: `Standalone selling price of "${c.name || 'component'}" must be a non-negative number.` };
  }
  if (components.every((c) => Number(c.ssp) === 0)) return { error: 'At least one standalone selling price must be above zero.' };
  return {
    preview: previewBundleSplit({
      amount_minor: amount.toString(),
      currency,
      components: components.map((c, i) => ({ name: c.name.trim() || `Component ${i + 1}`, ssp: c.ssp.trim() })),
    }),
  };
}

export function ProductRuleEditor({ client, productId, canEdit }: { client: AppClient; productId: string; canEdit: boolean }) {
  const { state, reload, setData } = useLoad(async () => {
    const [rule, accounts] = await Promise.all([
      client.getProductRule(productId),
      // Accounts are a convenience for picking revenue accounts; the rule still edits without them.
      client.listQboAccounts().then((r) => r.accounts).catch((): QboAccount[] => []),
    ]);
    return { ...rule, accounts };
  }, [client, productId]);
  const [draft, setDraft] = useState<RuleDraft | null>(null);
  const [sample, setSample] = useState('');
  const [busy, setBusy] = useState<'save' | 'delete' | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (state.status !== 'loaded') return;
    setDraft(draftOf(state.data.rule));
    const price = state.data.product.default_price;
    setSample(price?.unit_amount_minor ? formatMinor(BigInt(price.unit_amount_minor), price.currency) : '100');
  }, [state]);

  if (state.status === 'loading' || (state.status === 'loaded' && !draft)) return <Loading label="Loading the product's rule…" />;
  if (state.status === 'error') return <ErrorBanner title="Could not load this product's rule" error={state.error} onRetry={reload} />;
  const data = state.data;
  const d = draft!;
  const currency = data.product.default_price?.currency ?? 'usd';
  const set = (patch: Partial<RuleDraft>) => setDraft({ ...d, ...patch });
  const setComponent = (i: number, patch: Partial<ComponentDraft>) => set({ components: d.components.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const readOnly = !canEdit;
  const revenueAccounts = data.accounts.filter((a) => a.active);

  const keep = (res: ProductRuleResponse) => setData({ ...res, accounts: data.accounts });

  const save = async () => {
    const built = ruleFromDraft(d);
    if ('error' in built) {
      setProblem(built.error);
      return;
    }
    setBusy('save');
    setProblem(null);
    try {
      keep(await client.putProductRule(productId, { version: data.version, rule: built.rule }));
      confirmDone(`Rule saved for ${data.product.name}.`);
    } catch (err) {
      const e = asAppError(err);
      const message = e.code === 'conflict' ? 'Settings changed since you opened this product. Reload and try again.' : e.message;
      setProblem(message);
      reportFailure(message);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setBusy('delete');
    setProblem(null);
    try {
      keep(await client.deleteProductRule(productId, data.version));
      confirmDone(`${data.product.name} now follows the default rule.`);
    } catch (err) {
      const e = asAppError(err);
      setProblem(e.message);
      reportFailure(e.message);
    } finally {
      setBusy(null);
    }
  };

  const accountSelect = (name: string, label: string, value: string, onChange: (v: string) => void) => (
    <Select name={name} label={label} value={value} disabled={readOnly} onChange={(e) => onChange(e.target.value)}>
      <option value="">Default revenue account</option>
      {revenueAccounts.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
        </option>
      ))}
    </Select>
  );

  const preview = d.rule === 'bundle' ? bundlePreview(sample, currency, d.components) : null;

  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>{data.product.name}</Box>
      <Box css={{ color: 'secondary' }}>Current rule: {describeRule(data.rule)}</Box>
      {problem ? <Banner type="critical" title="Rule not saved" description={problem} /> : null}
      <Select name="rule" label="How revenue is recognized" value={d.rule} disabled={readOnly} onChange={(e) => set({ rule: e.target.value as RecognitionRule })}>
        {RULE_OPTIONS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      {d.rule === 'point_in_time' ? (
        <Select name="trigger" label="When" value={d.trigger} disabled={readOnly} onChange={(e) => set({ trigger: e.target.value as Trigger })}>
          <option value="booking">When the invoice is finalized</option>
          <option value="payment">When the invoice is paid</option>
          <option value="fulfillment">When fulfilment is signalled</option>
        </Select>
      ) : null}
      {d.rule === 'custom_term' ? (
        <TextField name="term_months" label="Term in months" type="number" value={d.term_months} readOnly={readOnly} onChange={(e) => set({ term_months: e.target.value })} />
      ) : null}
      {d.rule !== 'bundle' && d.rule !== 'exclude' ? accountSelect('account', 'Revenue account', d.account, (v) => set({ account: v })) : null}
      {d.rule === 'bundle' ? (
        <Box css={{ stack: 'y', gap: 'small' }}>
          {d.components.map((c, i) => (
            <Box key={i} css={{ stack: 'y', gap: 'small', padding: 'small', keyline: 'neutral' }}>
              <TextField name={`component_${i}_name`} label="Component" value={c.name} readOnly={readOnly} onChange={(e) => setComponent(i, { name: e.target.value })} />
              <TextField name={`component_${i}_ssp`} label="Standalone selling price" value={c.ssp} readOnly={readOnly} onChange={(e) => setComponent(i, { ssp: e.target.value })} />
              <Select name={`component_${i}_rule`} label="Recognized" value={c.rule} disabled={readOnly} onChange={(e) => setComponent(i, { rule: e.target.value as ComponentRule })}>
                <option value="ratable">Over the service period</option>
                <option value="point_in_time">All at once</option>
                <option value="custom_term">Over a fixed term</option>
              </Select>
              {c.rule === 'custom_term' ? (
                <TextField name={`component_${i}_term`} label="Term in months" type="number" value={c.term_months} readOnly={readOnly} onChange={(e) => setComponent(i, { term_months: e.target.value })} />
              ) : null}
              {accountSelect(`component_${i}_account`, 'Revenue account', c.account, (v) => setComponent(i, { account: v }))}
              {canEdit ? (
                <Button type="destructive" size="small" onPress={() => set({ components: d.components.filter((_, j) => j !== i) })}>
                  Remove component
                </Button>
              ) : null}
            </Box>
          ))}
          {canEdit && d.components.length < BUNDLE_COMPONENTS_MAX ? (
            <Button size="small" onPress={() => set({ components: [...d.components, emptyComponent()] })}>
              Add component
            </Button>
          ) : null}
          <TextField name="sample" label={`Sample price (${currency.toUpperCase()})`} value={sample} onChange={(e) => setSample(e.target.value)} />
          {preview && 'error' in preview ? (
            <Banner type="caution" title="No preview yet" description={preview.error} />
          ) : preview ? (
            <Table>
              <TableHead>
                <TableRow>
                  <TableHeaderCell>Component</TableHeaderCell>
                  <TableHeaderCell>SSP</TableHeaderCell>
                  <TableHeaderCell>Share of the sample</TableHeaderCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {preview.preview.parts.map((p, i) => (
                  <TableRow key={i}>
                    <TableCell>{p.name}</TableCell>
                    <TableCell>{p.ssp}</TableCell>
                    <TableCell>{p.amount}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          ) : null}
        </Box>
      ) : null}
      {canEdit ? (
        <Box css={{ stack: 'x', gap: 'small' }}>
          <Button type="primary" pending={busy === 'save'} disabled={busy !== null} onPress={() => void save()}>
            Save rule
          </Button>
          {data.rule ? (
            <Button pending={busy === 'delete'} disabled={busy !== null} onPress={() => void remove()}>
              Use the default rule
            </Button>
          ) : null}
        </Box>
      ) : (
        <Box css={{ color: 'secondary' }}>Only administrators and developers can change product rules.</Box>
      )}
    </Box>
  );
}
