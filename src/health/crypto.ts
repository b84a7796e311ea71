import type { CommandRunner } from '../process/runner.js';
import { runToEnd } from '../process/runner.js';
import type { Check } from '../report/step-result.js';

/**
 * The liboqs-python self-test, run as `python3 -c <script> <algorithms...>`
 * in the pod. It uses the real liboqs-python API, both spellings of the KEM
 * listing, one ML-KEM round trip and one ML-DSA sign/verify, and prints one
 * JSON line. (The runbook's `liboqs.get_enabled_algorithms()` does not exist.)
 */
export const LIBOQS_PYTHON_SELFTEST = String.raw`
import json, sys, time
algs = sys.argv[1:]
def out(d, code):
    print(json.dumps(d)); sys.stdout.flush(); sys.exit(code)
try:
    import oqs
except BaseException as e:
    out({"ok": False, "error": "import oqs failed: %s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")}, 2)
def first(*names):
    for n in names:
        f = getattr(oqs, n, None)
        if f is not None:
            return f
    raise AttributeError("liboqs-python has none of " + ", ".join(names))
try:
    kems = list(first("get_enabled_kem_mechanisms", "get_enabled_KEM_mechanisms")())
    sigs = list(first("get_enabled_sig_mechanisms", "get_enabled_SIG_mechanisms")())
    ver = "liboqs " + (oqs.oqs_version() if hasattr(oqs, "oqs_version") else "(version unknown)")
    res = {"ok": True, "version": ver, "kems": len(kems), "sigs": len(sigs)}
    res["missing"] = [a for a in algs if a not in kems and a not in sigs]
    kem = next((a for a in algs if a in kems), None)
    sig = next((a for a in algs if a in sigs), None)
    if kem:
        t = time.time()
        with oqs.KeyEncapsulation(kem) as c, oqs.KeyEncapsulation(kem) as s:
            pk = c.generate_keypair(); ct, ss = s.encap_secret(pk)
            res["kem"] = {"alg": kem, "ok": c.decap_secret(ct) == ss, "ms": round((time.time() - t) * 1000, 1)}
    if sig:
        t = time.time(); m = b"pqc-ops self-test"
        with oqs.Signature(sig) as s:
            pk = s.generate_keypair(); sg = s.sign(m)
            res["sig"] = {"alg": sig, "ok": bool(s.verify(m, sg, pk)), "ms": round((time.time() - t) * 1000, 1)}
    res["ok"] = not res["missing"] and all(res[k]["ok"] for k in ("kem", "sig") if k in res)
    out(res, 0 if res["ok"] else 1)
except BaseException as e:
    out({"ok": False, "error": "%s: %s" % (type(e).__name__, e)}, 3)
`;

/** What a self-test printed, when it printed our JSON shape. */
interface SelfTestReport {
  ok?: boolean;
  error?: string;
  version?: string;
  missing?: string[];
  kem?: { alg: string; ok: boolean; ms?: number };
  sig?: { alg: string; ok: boolean; ms?: number };
}

/** The argv to run for a preset. */
export function cryptoArgv(
  preset: 'liboqs-python' | 'command',
  algorithms: string[],
  command?: string[],
): string[] {
  if (preset === 'command') return command ?? [];
  return ['python3', '-c', LIBOQS_PYTHON_SELFTEST, ...algorithms];
}

/**
 * Runs the self-test in a pod with a timeout and turns its output into a
 * check: exit 0 passes; the JSON line (if any) explains; otherwise the first
 * line of stderr does.
 */
export async function cryptoCheck(
  runner: CommandRunner,
  argv: string[],
  opts: { timeoutMs: number; algorithms: string[]; preset: string },
): Promise<Check> {
  const start = performance.now();
  const r = await runToEnd(runner, argv, {
    timeoutMs: opts.timeoutMs,
    maxBytes: 64 * 1024,
  });
  const ms = Math.round(performance.now() - start);
  const threshold = `${opts.algorithms.join(', ')} enabled; KEM round trip and signature verify within ${Math.round(opts.timeoutMs / 1000)} s`;
  if (r.timedOut) {
    return {
      name: 'crypto',
      status: 'failed',
      observed: `no result within ${Math.round(opts.timeoutMs / 1000)} s`,
      threshold,
      detail: `the ${opts.preset} self-test in ${runner.where} timed out${opts.preset === 'liboqs-python' ? ' (liboqs-python builds liboqs at import time when the shared library is missing)' : ''}`,
    };
  }
  const report = parseReport(r.stdout);
  const errLine = r.stderr.trim().split('\n').filter(Boolean).pop();
  if (r.exitCode === 0 && report?.ok !== false) {
    const parts = [
      report?.kem && `${report.kem.alg} round trip ok`,
      report?.sig && `${report.sig.alg} sign/verify ok`,
    ].filter(Boolean);
    return {
      name: 'crypto',
      status: 'ok',
      observed: `${parts.join(', ') || 'self-test passed'}${report?.version ? ` (${report.version})` : ''} in ${ms} ms`,
      threshold,
    };
  }
  let why: string;
  if (report?.error) why = report.error;
  else if (report?.missing?.length)
    why = `not enabled: ${report.missing.join(', ')}`;
  else if (report?.kem && !report.kem.ok)
    why = `${report.kem.alg} decapsulated a different shared secret`;
  else if (report?.sig && !report.sig.ok)
    why = `${report.sig.alg} signature did not verify`;
  else why = errLine ?? r.stdout.trim().split('\n')[0] ?? 'no output';
  return {
    name: 'crypto',
    status: 'failed',
    observed: `exit ${r.exitCode}: ${why}`.slice(0, 300),
    threshold,
    detail:
      `the ${opts.preset} self-test failed in ${runner.where}: ${why}`.slice(
        0,
        500,
      ),
  };
}

function parseReport(stdout: string): SelfTestReport | undefined {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as SelfTestReport;
  } catch {
    return undefined;
  }
}
