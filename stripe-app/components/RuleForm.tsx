/**
 * The form of one rule of the rule list: its conditions (all must hold), a treatment or a split
 * across treatments by percentage, and its effective dates. Fields are text; `ruleFromDraft`
 * checks them with the shared schema when the rule is applied to the list.
 */
import { Box, Button, Select, TextField } from '@stripe/ui-extension-sdk/ui';
import type { PartRule, RuleDraft, SplitDraft, Treatment } from './rule-draft.ts';

interface RuleFormProps {
  draft: RuleDraft;
  onChange: (draft: RuleDraft) => void;
}

const CONDITION_FIELDS: [keyof RuleDraft, string, string][] = [
  ['products', 'Products', 'prod_… ids, comma separated'],
  ['prices', 'Prices', 'price_… ids, comma separated'],
  ['customers', 'Customers', 'cus_… ids, comma separated'],
  ['customerMetadata', 'Customer metadata', 'key=value, comma separated'],
  ['lineMetadata', 'Invoice line metadata', 'key=value, comma separated'],
  ['currencies', 'Currencies', 'usd, eur…'],
  ['amountMin', 'Amount at least (minor units)', 'e.g. 100000 for 1,000.00'],
  ['amountMax', 'Amount at most (minor units)', ''],
];

export function RuleForm({ draft, onChange }: RuleFormProps) {
  const set = (patch: Partial<RuleDraft>) => onChange({ ...draft, ...patch });
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <TextField name="rule_id" label="Rule id" value={draft.id} onChange={(e) => set({ id: e.target.value })} />
      <TextField name="rule_name" label="Name" value={draft.name} onChange={(e) => set({ name: e.target.value })} />
      <Box css={{ font: 'subheading' }}>Conditions (all must hold; leave empty to match any)</Box>
      {CONDITION_FIELDS.map(([key, label, description]) => (
        <TextField
          key={key}
          name={`condition_${key}`}
          label={label}
          description={description}
          value={draft[key] as string}
          onChange={(e) => set({ [key]: e.target.value } as Partial<RuleDraft>)}
        />
      ))}
      <Box css={{ font: 'subheading' }}>Treatment</Box>
      <Select
        name="treatment"
        label="Recognize"
        value={draft.treatment}
        onChange={(e) => set({ treatment: e.target.value as Treatment })}
      >
        <option value="ratable">Ratably over the service period</option>
        <option value="point_in_time">At a point in time (when finalized)</option>
        <option value="custom_term">Over a custom term</option>
        <option value="exclude">Exclude (not revenue)</option>
        <option value="prepaid_credits">Prepaid billing credits (a liability until used)</option>
        <option value="stored_value">Stored value, e.g. gift cards (a liability until redeemed)</option>
        <option value="split">Split across treatments by percentage</option>
      </Select>
      {draft.treatment === 'custom_term' ? (
        <TextField
          name="term_months"
          label="Term in months"
          value={draft.termMonths}
          onChange={(e) => set({ termMonths: e.target.value })}
        />
      ) : null}
      {draft.treatment !== 'split' && draft.treatment !== 'exclude' ? (
        <TextField
          name="account"
          label="Revenue account"
          value={draft.account}
          onChange={(e) => set({ account: e.target.value })}
        />
      ) : null}
      {draft.treatment === 'split' ? <SplitEditor parts={draft.split} onChange={(split) => set({ split })} /> : null}
      <TextField
        name="effective_from"
        label="Effective from (YYYY-MM-DD)"
        value={draft.effectiveFrom}
        onChange={(e) => set({ effectiveFrom: e.target.value })}
      />
      <TextField
        name="effective_to"
        label="Effective through (YYYY-MM-DD)"
        value={draft.effectiveTo}
        onChange={(e) => set({ effectiveTo: e.target.value })}
      />
    </Box>
  );
}

const emptyPart = (): SplitDraft => ({ name: '', percent: '', rule: 'ratable', termMonths: '', account: '' });

/** The parts of a split: each a name (its revenue account unless one is given), a percentage and a treatment. */
function SplitEditor({ parts, onChange }: { parts: SplitDraft[]; onChange: (parts: SplitDraft[]) => void }) {
  const update = (i: number, patch: Partial<SplitDraft>) =>
    onChange(parts.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      {parts.map((part, i) => (
        <Box key={i} css={{ stack: 'y', gap: 'small', padding: 'small', keyline: 'neutral' }}>
          <TextField
            name={`split_${i}_name`}
            label="Part"
            value={part.name}
            onChange={(e) => update(i, { name: e.target.value })}
          />
          <TextField
            name={`split_${i}_percent`}
            label="Percent"
            value={part.percent}
            onChange={(e) => update(i, { percent: e.target.value })}
          />
          <Select
            name={`split_${i}_rule`}
            label="Recognize"
            value={part.rule}
            onChange={(e) => update(i, { rule: e.target.value as PartRule })}
          >
            <option value="ratable">Ratably</option>
            <option value="point_in_time">At a point in time</option>
            <option value="custom_term">Over a custom term</option>
          </Select>
          {part.rule === 'custom_term' ? (
            <TextField
              name={`split_${i}_term`}
              label="Term in months"
              value={part.termMonths}
              onChange={(e) => update(i, { termMonths: e.target.value })}
            />
          ) : null}
          <Button size="small" onPress={() => onChange(parts.filter((_, j) => j !== i))}>
            Remove part
          </Button>
        </Box>
      ))}
      <Button size="small" onPress={() => onChange([...parts, emptyPart()])}>
        Add part
      </Button>
    </Box>
  );
}
