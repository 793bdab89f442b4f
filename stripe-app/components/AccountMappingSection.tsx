/**
 * GL mapping: every account role Accrue posts to (shared/accounts.ts) mapped to one of the
 * company's own QuickBooks accounts, chosen from its live list. Roles left unmapped can be
 * created in QuickBooks in one action, with the suggested type and name for each role.
 */
import { useEffect, useState } from 'react';
import { Banner, Box, Button, Select } from '@stripe/ui-extension-sdk/ui';
import { ACCOUNT_ROLES, ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import type { QboAccount } from '../../shared/api/app.ts';
import type { AppClient } from '../data/client.ts';
import { useAction } from '../hooks/useAction.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { confirmDone } from '../hooks/notify.ts';
import { mappingChanges, type Mapping } from './settings-draft.ts';
import { ErrorBanner, Loading } from './States.tsx';

/** Plain descriptions of what each role is for, shown under its picker. */
export const ROLE_PURPOSE: Record<AccountRole, string> = {
  receivable: 'Invoiced amounts not yet paid',
  unbilled_receivable: 'Revenue earned before it is invoiced',
  cash_clearing: 'Your Stripe balance, until paid out',
  unmatched_cash: 'Stripe cash that matches nothing it should settle, for review',
  bank: 'Where payouts land',
  external_asset: 'Invoices paid outside Stripe',
  deferred_revenue: 'Billed but not yet earned',
  deferred_discounts: 'Discounts not yet recognized (contra revenue only)',
  customer_balance: 'Customer credit balances',
  tax_liability: 'Sales tax and VAT collected',
  revenue: 'Earned revenue (products may override)',
  discounts: 'Recognized discounts',
  refunds: 'Recognized share of refunds',
  credit_notes: 'Recognized share of credit notes',
  disputes: 'Recognized share of disputes',
  voids: 'Recognized share of voided invoices',
  bad_debt: 'Invoices written off as uncollectible',
  fees: 'Stripe processing and dispute fees',
  platform_fees: 'Application fees a Connect platform withheld',
  connect_transfers: 'Transfers to connected accounts',
  application_fees: "Application fees this platform collected on connected accounts' charges",
  connected_payable: "Connected accounts' share of a platform's charges, until transferred (agent)",
  shipping: 'Shipping charged on invoices',
  fx_gain_loss: 'Exchange differences',
  fx_unrealized: 'Month-end restatement of foreign balances, reversed the next day',
  recoveries: 'Money recovered after a write-off or won dispute',
  other_loss: 'Refunds and disputes beyond what was recognized',
  excluded: 'Amounts a product rule excludes from revenue',
  prepaid_credits: 'Paid billing credits not yet used',
  stored_value: 'Gift cards and prepaid balances not yet redeemed',
  breakage: 'Credits and stored value expected never to be used',
  escheat_liability: 'Unclaimed balances owed to a state',
};

export function AccountMappingSection({
  client,
  canEdit,
  onSaved,
}: {
  client: AppClient;
  canEdit: boolean;
  onSaved?: () => void;
}) {
  const { state, reload, setData } = useLoad(async () => {
    const [mapping, accounts] = await Promise.all([client.getAccountMapping(), client.listQboAccounts()]);
    return { mapping: mapping.mapping as Mapping, accounts: accounts.accounts };
  }, [client]);
  const [draft, setDraft] = useState<Mapping | null>(null);
  const action = useAction<'save' | 'create'>();

  useEffect(() => {
    if (state.status === 'loaded') setDraft({ ...state.data.mapping });
  }, [state]);

  if (state.status === 'loading' || (state.status === 'loaded' && !draft))
    return <Loading label="Loading your QuickBooks accounts…" />;
  if (state.status === 'error') {
    if (state.error.code === 'not_configured') {
      return (
        <Banner
          type="caution"
          title="Connect QuickBooks first"
          description="Account mapping needs the list of accounts from your QuickBooks company."
        />
      );
    }
    return <ErrorBanner title="Could not load the account mapping" error={state.error} onRetry={reload} />;
  }
  const { accounts, mapping: loaded } = state.data;
  const edited = draft!;
  const unmapped = ACCOUNT_ROLES.filter((r) => !edited[r]);

  const save = async () => {
    const changes = mappingChanges(loaded, edited);
    if (Object.keys(changes).length === 0) {
      confirmDone('Nothing to save: the mapping is unchanged.');
      return;
    }
    await action.run('save', async () => {
      const saved = await client.updateAccountMapping({ mapping: changes });
      setData({ accounts, mapping: saved.mapping as Mapping });
      confirmDone('Account mapping saved.');
      onSaved?.();
    });
  };

  const createMissing = () =>
    action.run('create', async () => {
      const res = await client.createMissingAccounts({ roles: unmapped });
      const fresh = await client.listQboAccounts();
      setData({ accounts: fresh.accounts, mapping: res.mapping as Mapping });
      confirmDone(
        res.created.length === 0
          ? 'Every role already has an account.'
          : `Created ${res.created.length} account${res.created.length === 1 ? '' : 's'} in QuickBooks.`,
      );
      onSaved?.();
    });

  const { busy, problem } = action;
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>Account mapping</Box>
      {problem ? <Banner type="critical" title="Mapping not saved" description={problem} /> : null}
      {unmapped.length > 0 ? (
        <Banner
          type="caution"
          title={`${unmapped.length} role${unmapped.length === 1 ? ' is' : 's are'} not mapped`}
          description="Accrue cannot post entries that touch an unmapped role. Pick an account or create the missing ones."
        />
      ) : null}
      <RoleSelects draft={edited} accounts={accounts} canEdit={canEdit} onChange={setDraft} />
      {canEdit ? (
        <Box css={{ stack: 'x', gap: 'small' }}>
          <Button type="primary" pending={busy === 'save'} disabled={busy !== null} onPress={() => void save()}>
            Save mapping
          </Button>
          <Button
            pending={busy === 'create'}
            disabled={busy !== null || unmapped.length === 0}
            onPress={() => void createMissing()}
          >
            Create missing accounts
          </Button>
        </Box>
      ) : null}
    </Box>
  );
}

/** One picker per role (every role unless `roles` names some), listing the company's active accounts. */
export function RoleSelects({
  draft,
  accounts,
  canEdit,
  onChange,
  roles = ACCOUNT_ROLES,
}: {
  draft: Mapping;
  accounts: QboAccount[];
  canEdit: boolean;
  onChange: (draft: Mapping) => void;
  roles?: readonly AccountRole[];
}) {
  const active = accounts.filter((a) => a.active);
  return (
    <>
      {roles.map((role) => (
        <Select
          key={role}
          name={`account_${role}`}
          label={ROLE_INFO[role].defaultName}
          description={ROLE_PURPOSE[role]}
          value={draft[role] ?? ''}
          disabled={!canEdit}
          onChange={(e) => onChange({ ...draft, [role]: e.target.value === '' ? null : e.target.value })}
        >
          <option value="">Not mapped</option>
          {active.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.type})
            </option>
          ))}
        </Select>
      ))}
    </>
  );
}
