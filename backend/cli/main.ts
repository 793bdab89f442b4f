/**
 * The `accrue` command line: one entry point, one command per thing an operator or accountant
 * does. Every command answers `--help`; failures print one line and exit non-zero
 * (see framework.ts for the codes).
 */
import { defaultImportDeps, importCommand } from './imports.ts';
import { approvalsCommand } from './approvals.ts';
import { rulesCommand } from './rules.ts';
import { helpText, runCommand, type Command } from './framework.ts';
import { adminCommand } from './admin.ts';
import { coreCommands } from './commands.ts';

export function allCommands(): Command[] {
  return [...coreCommands(), adminCommand(), importCommand(), approvalsCommand(), rulesCommand(defaultImportDeps)];
}

function overview(cmds: Command[]): string {
  const w = Math.max(...cmds.map((c) => c.name.length));
  return `accrue — revenue recognition for Stripe merchants, posted to QuickBooks Online.

Usage: accrue <command> [options]

Commands:
${cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Run \`accrue <command> --help\` for a command's options.
`;
}

let pipesGuarded = false;

/**
 * When the reader of our output goes away (`accrue report … | head`), writing fails with EPIPE;
 * Node would end the process with a stack trace. The rest of the output is dropped instead, and
 * the command finishes (and closes the database) as usual.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
}

export async function main(
  argv: string[],
  io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) },
): Promise<number> {
  guardPipes();
  const cmds = allCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' && rest[0] ? cmds.find((c) => c.name === rest[0]) : undefined;
    io.out(target ? helpText(target) : overview(cmds));
    return 0;
  }
  const cmd = cmds.find((c) => c.name === name);
  if (!cmd) {
    io.err(`accrue: unknown command "${name}" (accrue --help lists the commands)\n`);
    return 2;
  }
  return runCommand(cmd, rest, io.out, io.err);
}
