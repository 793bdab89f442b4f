/**
 * The recognition rule of one Stripe product: ratable (the default), all at once, over a fixed
 * term, excluded, or a bundle split into components by standalone selling price. For bundles
 * the resulting split of a sample price is shown BEFORE saving, computed by the engine's own
 * allocation (`previewBundleSplit` → `allocate`/`decimalWeights` in shared/money.ts).
 */
import { useEffect, useState } from 'react';
import {
  Banner,
  Box,
  Button,
  Select,
  Table,
  TableBody,
  TableCell,
  TableRow,
  TextField,
} from '@stripe/ui-extension-sdk/ui';
import {
  BUNDLE_COMPONENTS_MAX,
  previewBundleSplit,
  type BundlePreviewResponse,
  type ProductRuleResponse,
  type QboAccount,
} from '../../shared/api/app.ts';
import { currency, parseMajor, type Currency } from '../../shared/money.ts';
import { ProductRuleSchema, type ProductRule, type RecognitionRule } from '../../shared/settings.ts';
import type { AppClient } from '../data/client.ts';
import { useAction } from '../hooks/useAction.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { confirmDone } from '../hooks/notify.ts';
import { amountInput, describeRule, money, RULE_OPTIONS } from './format.ts';
import { ErrorBanner, Loading } from './States.tsx';
import { TableHeader } from './TableHeader.tsx';

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
export function bundlePreview(
  sample: string,
  currency: Currency,
  components: readonly ComponentDraft[],
): { preview: BundlePreviewResponse } | { error: string } {
  if (components.length === 0) return { error: 'Add at least one component.' };
  let amount: bigint;
  try {
    amount = parseMajor(sample, currency);
  } catch (err) {
    return { error: err instanceof Error ? err.message : 'Enter a sample price.' };
  }
  for (const c of components) {
    if (!/^\d{1,15}(\.\d{1,6})?$/.test(c.ssp.trim()))
      return { error: `Standalone selling price of "${c.name || 'component'}" must be a non-negative number.` };
  }
  if (components.every((c) => Number(c.ssp) === 0))
    return { error: 'At least one standalone selling price must be above zero.' };
  return {
    preview: previewBundleSplit({
      amount_minor: amount.toString(),
      currency,
      components: components.map((c, i) => ({ name: c.name.trim() || `Component ${i + 1}`, ssp: c.ssp.trim() })),
    }),
  };
}

/** Loads the product's rule with the revenue accounts, and keeps the editable draft and sample price. */
function useRuleDraft(client: AppClient, productId: string) {
  const { state, reload, setData } = useLoad(async () => {
    const [rule, accounts] = await Promise.all([
      client.getProductRule(productId),
      // Accounts are a convenience for picking revenue accounts; the rule still edits without them.
      client
        .listQboAccounts()
        .then((r) => r.accounts)
        .catch((): QboAccount[] => []),
    ]);
    return { ...rule, accounts };
  }, [client, productId]);
  const [draft, setDraft] = useState<RuleDraft | null>(null);
  const [sample, setSample] = useState('');

  useEffect(() => {
    if (state.status !== 'loaded') return;
    setDraft(draftOf(state.data.rule));
    const price = state.data.product.default_price;
    setSample(price?.unit_amount_minor ? amountInput(price.unit_amount_minor, price.currency) : '100');
  }, [state]);

  return { state, reload, setData, draft, setDraft, sample, setSample };
}

export function ProductRuleEditor({
  client,
  productId,
  canEdit,
}: {
  client: AppClient;
  productId: string;
  canEdit: boolean;
}) {
  const { state, reload, setData, draft, setDraft, sample, setSample } = useRuleDraft(client, productId);
  const action = useAction<'save' | 'delete'>();

  if (state.status === 'loading' || (state.status === 'loaded' && !draft))
    return <Loading label="Loading the product's rule…" />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not load this product's rule" error={state.error} onRetry={reload} />;
  const data = state.data;
  const edited = draft!;
  const set = (patch: Partial<RuleDraft>) => setDraft({ ...edited, ...patch });
  const readOnly = !canEdit;
  const revenueAccounts = data.accounts.filter((a) => a.active);

  const keep = (res: ProductRuleResponse) => setData({ ...res, accounts: data.accounts });

  const save = async () => {
    const built = ruleFromDraft(edited);
    if ('error' in built) {
      action.setProblem(built.error);
      return;
    }
    await action.run(
      'save',
      async () => {
        keep(await client.putProductRule(productId, { version: data.version, rule: built.rule }));
        confirmDone(`Rule saved for ${data.product.name}.`);
      },
      (e) =>
        e.code === 'conflict' ? 'Settings changed since you opened this product. Reload and try again.' : e.message,
    );
  };

  const remove = () =>
    action.run('delete', async () => {
      keep(await client.deleteProductRule(productId, data.version));
      confirmDone(`${data.product.name} now follows the default rule.`);
    });

  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>{data.product.name}</Box>
      <Box css={{ color: 'secondary' }}>Current rule: {describeRule(data.rule)}</Box>
      {action.problem ? <Banner type="critical" title="Rule not saved" description={action.problem} /> : null}
      <RuleChoice draft={edited} readOnly={readOnly} set={set} />
      {edited.rule !== 'bundle' && edited.rule !== 'exclude' ? (
        <AccountSelect
          name="account"
          value={edited.account}
          accounts={revenueAccounts}
          readOnly={readOnly}
          onChange={(v) => set({ account: v })}
        />
      ) : null}
      {edited.rule === 'bundle' ? (
        <BundleEditor
          components={edited.components}
          onChange={(components) => set({ components })}
          sample={sample}
          onSampleChange={setSample}
          currency={data.product.default_price?.currency ?? currency('usd')}
          accounts={revenueAccounts}
          canEdit={canEdit}
        />
      ) : null}
      <RuleActions canEdit={canEdit} busy={action.busy} hasRule={Boolean(data.rule)} onSave={save} onRemove={remove} />
    </Box>
  );
}

interface RuleActionsProps {
  canEdit: boolean;
  busy: 'save' | 'delete' | null;
  /** Whether the product has its own rule, which can then be removed. */
  hasRule: boolean;
  onSave: () => Promise<void>;
  onRemove: () => Promise<void>;
}

/** Save and "use the default rule", or a note for users who cannot change rules. */
function RuleActions({ canEdit, busy, hasRule, onSave, onRemove }: RuleActionsProps) {
  if (!canEdit) {
    return <Box css={{ color: 'secondary' }}>Only administrators and developers can change product rules.</Box>;
  }
  return (
    <Box css={{ stack: 'x', gap: 'small' }}>
      <Button type="primary" pending={busy === 'save'} disabled={busy !== null} onPress={() => void onSave()}>
        Save rule
      </Button>
      {hasRule ? (
        <Button pending={busy === 'delete'} disabled={busy !== null} onPress={() => void onRemove()}>
          Use the default rule
        </Button>
      ) : null}
    </Box>
  );
}

/** The rule, and what it needs: when (all at once) or how long (fixed term). */
function RuleChoice({
  draft,
  readOnly,
  set,
}: {
  draft: RuleDraft;
  readOnly: boolean;
  set: (patch: Partial<RuleDraft>) => void;
}) {
  return (
    <>
      <Select
        name="rule"
        label="How revenue is recognized"
        value={draft.rule}
        disabled={readOnly}
        onChange={(e) => set({ rule: e.target.value as RecognitionRule })}
      >
        {RULE_OPTIONS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      {draft.rule === 'point_in_time' ? (
        <Select
          name="trigger"
          label="When"
          value={draft.trigger}
          disabled={readOnly}
          onChange={(e) => set({ trigger: e.target.value as Trigger })}
        >
          <option value="booking">When the invoice is finalized</option>
          <option value="payment">When the invoice is paid</option>
          <option value="fulfillment">When fulfilment is signalled</option>
        </Select>
      ) : null}
      {draft.rule === 'custom_term' ? (
        <TextField
          name="term_months"
          label="Term in months"
          type="number"
          value={draft.term_months}
          readOnly={readOnly}
          onChange={(e) => set({ term_months: e.target.value })}
        />
      ) : null}
    </>
  );
}

interface AccountSelectProps {
  name: string;
  value: string;
  accounts: QboAccount[];
  readOnly: boolean;
  onChange: (account: string) => void;
}

/** A revenue account picker; empty means the default revenue account. */
function AccountSelect({ name, value, accounts, readOnly, onChange }: AccountSelectProps) {
  return (
    <Select
      name={name}
      label="Revenue account"
      value={value}
      disabled={readOnly}
      onChange={(e) => onChange(e.target.value)}
    >
      <option value="">Default revenue account</option>
      {accounts.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
        </option>
      ))}
    </Select>
  );
}

interface BundleEditorProps {
  components: ComponentDraft[];
  onChange: (components: ComponentDraft[]) => void;
  /** The sample price (major units) whose split is previewed. */
  sample: string;
  onSampleChange: (sample: string) => void;
  currency: Currency;
  accounts: QboAccount[];
  canEdit: boolean;
}

/** A bundle's components, then the split of a sample price over them, before anything is saved. */
function BundleEditor({
  components,
  onChange,
  sample,
  onSampleChange,
  currency,
  accounts,
  canEdit,
}: BundleEditorProps) {
  const preview = bundlePreview(sample, currency, components);
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      {components.map((component, i) => (
        <ComponentFields
          key={i}
          index={i}
          component={component}
          accounts={accounts}
          canEdit={canEdit}
          onChange={(patch) => onChange(components.map((c, j) => (j === i ? { ...c, ...patch } : c)))}
          onRemove={() => onChange(components.filter((_, j) => j !== i))}
        />
      ))}
      {canEdit && components.length < BUNDLE_COMPONENTS_MAX ? (
        <Button size="small" onPress={() => onChange([...components, emptyComponent()])}>
          Add component
        </Button>
      ) : null}
      <TextField
        name="sample"
        label={`Sample price (${currency.toUpperCase()})`}
        value={sample}
        onChange={(e) => onSampleChange(e.target.value)}
      />
      {'error' in preview ? (
        <Banner type="caution" title="No preview yet" description={preview.error} />
      ) : (
        <BundlePreviewTable preview={preview.preview} />
      )}
    </Box>
  );
}

interface ComponentFieldsProps {
  index: number;
  component: ComponentDraft;
  accounts: QboAccount[];
  canEdit: boolean;
  onChange: (patch: Partial<ComponentDraft>) => void;
  onRemove: () => void;
}

/** One component of a bundle: name, standalone selling price, how it is recognized, its account. */
function ComponentFields({ index: i, component, accounts, canEdit, onChange, onRemove }: ComponentFieldsProps) {
  const readOnly = !canEdit;
  return (
    <Box css={{ stack: 'y', gap: 'small', padding: 'small', keyline: 'neutral' }}>
      <TextField
        name={`component_${i}_name`}
        label="Component"
        value={component.name}
        readOnly={readOnly}
        onChange={(e) => onChange({ name: e.target.value })}
      />
      <TextField
        name={`component_${i}_ssp`}
        label="Standalone selling price"
        value={component.ssp}
        readOnly={readOnly}
        onChange={(e) => onChange({ ssp: e.target.value })}
      />
      <Select
        name={`component_${i}_rule`}
        label="Recognized"
        value={component.rule}
        disabled={readOnly}
        onChange={(e) => onChange({ rule: e.target.value as ComponentRule })}
      >
        <option value="ratable">Over the service period</option>
        <option value="point_in_time">All at once</option>
        <option value="custom_term">Over a fixed term</option>
      </Select>
      {component.rule === 'custom_term' ? (
        <TextField
          name={`component_${i}_term`}
          label="Term in months"
          type="number"
          value={component.term_months}
          readOnly={readOnly}
          onChange={(e) => onChange({ term_months: e.target.value })}
        />
      ) : null}
      <AccountSelect
        name={`component_${i}_account`}
        value={component.account}
        accounts={accounts}
        readOnly={readOnly}
        onChange={(v) => onChange({ account: v })}
      />
      {canEdit ? (
        <Button type="destructive" size="small" onPress={onRemove}>
          Remove component
        </Button>
      ) : null}
    </Box>
  );
}

function BundlePreviewTable({ preview }: { preview: BundlePreviewResponse }) {
  return (
    <Table>
      <TableHeader titles={['Component', 'SSP', 'Share of the sample']} />
      <TableBody>
        {preview.parts.map((p, i) => (
          <TableRow key={i}>
            <TableCell>{p.name}</TableCell>
            <TableCell>{p.ssp}</TableCell>
            <TableCell align="right">{money(p.amount_minor, preview.currency)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
