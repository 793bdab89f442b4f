/**
 * The rule list: every rule in the order it is evaluated (the first whose conditions all hold
 * wins), then the product rules, which come after it. Users with edit rights (signed
 * administrator or developer roles; the backend checks the same) reorder, add, edit and remove
 * rules in a draft, preview what the draft would move per period and invoice, and save it; the
 * save re-applies it to past bookings. Everyone else sees the list and may preview.
 */
import { useState } from 'react';
import { Banner, Box, Button, Table, TableBody, TableCell, TableRow } from '@stripe/ui-extension-sdk/ui';
import type { RulePreviewResponse, RulesResponse } from '../../shared/api/rules.ts';
import type { Rule } from '../../shared/settings.ts';
import type { AppClient } from '../data/client.ts';
import { useAction } from '../hooks/useAction.ts';
import { confirmDone } from '../hooks/notify.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { RuleForm } from './RuleForm.tsx';
import {
  describeConditions,
  describeTreatment,
  draftOf,
  emptyDraft,
  moveRule,
  renumber,
  ruleFromDraft,
  type RuleDraft,
} from './rule-draft.ts';
import { Empty, ErrorBanner, Loading } from './States.tsx';
import { TableHeader } from './TableHeader.tsx';
import { calendarDate, calendarMonth, money } from './format.ts';
import type { Currency } from '../../shared/money.ts';

interface Editing {
  /** The rule's index in the draft list; the list's length for a new rule. */
  index: number;
  draft: RuleDraft;
}

export function RuleListEditor({ client, canEdit }: { client: AppClient; canEdit: boolean }) {
  // The preview's amounts are in the functional currency, which the settings name.
  const { state, reload } = useLoad(async () => {
    const [rules, settings] = await Promise.all([client.getRules(), client.getSettings()]);
    return { ...rules, currency: settings.settings.functional_currency };
  }, [client]);
  if (state.status === 'loading') return <Loading label="Loading your rules…" />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not load your rules" error={state.error} onRetry={reload} />;
  return (
    <LoadedRules
      key={state.data.revision}
      client={client}
      data={state.data}
      canEdit={canEdit && state.data.can_edit}
      onSaved={reload}
    />
  );
}

interface LoadedProps {
  client: AppClient;
  data: RulesResponse & { currency: Currency };
  canEdit: boolean;
  onSaved: () => void;
}

function LoadedRules({ client, data, canEdit, onSaved }: LoadedProps) {
  const [rules, setRules] = useState<Rule[]>(data.rules);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [preview, setPreview] = useState<RulePreviewResponse | null>(null);
  const action = useAction<'preview' | 'save'>();
  const change = (next: Rule[]) => {
    setRules(renumber(next));
    setPreview(null);
  };
  const applyEdit = () => {
    if (!editing) return;
    const built = ruleFromDraft(editing.draft, editing.index + 1);
    if ('error' in built) return action.setProblem(built.error);
    action.setProblem(null);
    change(
      editing.index < rules.length
        ? rules.map((r, k) => (k === editing.index ? built.rule : r))
        : [...rules, built.rule],
    );
    setEditing(null);
  };
  const body = () => ({ revision: data.revision, rules });
  const runPreview = () => action.run('preview', async () => setPreview(await client.previewRules(body())));
  const save = () =>
    action.run('save', async () => {
      const saved = await client.saveRules(body());
      confirmDone(
        saved.approval
          ? `Waiting for approval (request ${saved.approval.id}): ${saved.approval.summary}`
          : `Rules saved (change ${saved.change_id}): ${saved.entries_posted} entries posted`,
      );
      onSaved();
    });
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      {!canEdit ? (
        <Banner
          type="default"
          title="Read only"
          description="Only administrators and developers of this Stripe account can change rules."
        />
      ) : null}
      {action.problem ? <Banner type="critical" title="Not saved" description={action.problem} /> : null}
      <RuleRows
        rules={rules}
        canEdit={canEdit}
        onMove={(k, by) => change(moveRule(rules, k, by))}
        onEdit={(k) => setEditing({ index: k, draft: draftOf(rules[k]!) })}
        onRemove={(k) => change(rules.filter((_, j) => j !== k))}
      />
      {canEdit && !editing ? (
        <Button
          size="small"
          onPress={() => setEditing({ index: rules.length, draft: emptyDraft(`rule-${rules.length + 1}`) })}
        >
          Add rule
        </Button>
      ) : null}
      {editing ? (
        <Box css={{ stack: 'y', gap: 'small', padding: 'medium', keyline: 'neutral' }}>
          <RuleForm draft={editing.draft} onChange={(draft) => setEditing({ ...editing, draft })} />
          <Box css={{ stack: 'x', gap: 'small' }}>
            <Button type="primary" onPress={applyEdit}>
              Apply to list
            </Button>
            <Button onPress={() => setEditing(null)}>Cancel</Button>
          </Box>
        </Box>
      ) : null}
      <Box css={{ stack: 'x', gap: 'small' }}>
        <Button onPress={() => void runPreview()} pending={action.busy === 'preview'}>
          Preview effect
        </Button>
        {canEdit ? (
          <Button type="primary" onPress={() => void save()} pending={action.busy === 'save'}>
            Save rules
          </Button>
        ) : null}
      </Box>
      {preview ? <PreviewTables preview={preview} currency={data.currency} /> : null}
      <ProductRuleRows rules={data.product_rules} />
    </Box>
  );
}

interface RowsProps {
  rules: Rule[];
  canEdit: boolean;
  onMove: (index: number, by: -1 | 1) => void;
  onEdit: (index: number) => void;
  onRemove: (index: number) => void;
}

function RuleRows({ rules, canEdit, onMove, onEdit, onRemove }: RowsProps) {
  if (!rules.length) return <Empty message="No rules yet: product rules, then ratable recognition, apply." />;
  return (
    <Table>
      <TableHeader titles={canEdit ? ['#', 'Rule', 'When', 'Then', ' '] : ['#', 'Rule', 'When', 'Then']} />
      <TableBody>
        {rules.map((r, k) => (
          <TableRow key={r.id}>
            <TableCell>{String(r.position)}</TableCell>
            <TableCell>{r.name ?? r.id}</TableCell>
            <TableCell>{describeConditions(r) + dates(r)}</TableCell>
            <TableCell>{describeTreatment(r)}</TableCell>
            {canEdit ? (
              <TableCell>
                <Box css={{ stack: 'x', gap: 'xsmall' }}>
                  <Button size="small" disabled={k === 0} onPress={() => onMove(k, -1)}>
                    Move up
                  </Button>
                  <Button size="small" disabled={k === rules.length - 1} onPress={() => onMove(k, 1)}>
                    Move down
                  </Button>
                  <Button size="small" onPress={() => onEdit(k)}>
                    Edit
                  </Button>
                  <Button size="small" type="destructive" onPress={() => onRemove(k)}>
                    Remove
                  </Button>
                </Box>
              </TableCell>
            ) : null}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

const dates = (r: Rule) =>
  r.effective_from || r.effective_to ? ` (${r.effective_from ?? '…'} to ${r.effective_to ?? '…'})` : '';

function ProductRuleRows({ rules }: { rules: Rule[] }) {
  if (!rules.length) return null;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Product rules (after the list; edited on each product)</Box>
      <Table>
        <TableHeader titles={['When', 'Then']} />
        <TableBody>
          {rules.map((r) => (
            <TableRow key={r.id}>
              <TableCell>{describeConditions(r) + dates(r)}</TableCell>
              <TableCell>{describeTreatment(r)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function PreviewTables({ preview, currency }: { preview: RulePreviewResponse; currency: Currency }) {
  if (!preview.periods.length)
    return <Empty message={`This change moves no revenue (through ${calendarDate(preview.through)}).`} />;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Revenue this change moves (through {calendarDate(preview.through)})</Box>
      <Table>
        <TableHeader titles={['Period', 'Revenue', 'Posts in']} />
        <TableBody>
          {preview.periods.map((p) => (
            <TableRow key={p.period}>
              <TableCell>{calendarMonth(p.period)}</TableCell>
              <TableCell align="right">{money(p.revenue_minor, currency)}</TableCell>
              <TableCell>
                {p.closed
                  ? `${calendarMonth(p.posts_in)} (correction: ${calendarMonth(p.period)} is closed)`
                  : calendarMonth(p.posts_in)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Box>{`${preview.invoices_total} invoice${preview.invoices_total === 1 ? '' : 's'}: ${preview.invoices.map((i) => i.invoice).join(', ')}`}</Box>
    </Box>
  );
}
