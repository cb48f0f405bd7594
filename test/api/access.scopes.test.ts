import { generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication, sendEvent, type Role } from '../../engine/index.ts';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type LogLine, type TestServer } from '../support/test-server.ts';

// ---- The access policy, written out by hand (docs/api.md, "Access"); nothing here asks the server. ----

type TokenRole = Exclude<Role, 'system'>;
/** Which applications a role reaches and whether it reads them; `none` means 403 on every application route. */
const policy: Record<TokenRole, { reach: 'own' | 'registrar' | 'all' | 'none'; reads: boolean }> = {
  applicant: { reach: 'own', reads: true },
  reviewer: { reach: 'registrar', reads: true },
  'registrar-admin': { reach: 'registrar', reads: true },
  payment: { reach: 'all', reads: false },
  linkage: { reach: 'none', reads: false },
  admin: { reach: 'none', reads: false },
};

const states = ['draft', 'awaitingPayment', 'underReview', 'correctionRequested', 'registered'] as const;
type State = (typeof states)[number];
const editable: readonly State[] = ['draft', 'correctionRequested'];
/** The registration template's events: the roles that send each, and the states where it succeeds here. */
const events: Record<string, { by: readonly TokenRole[]; in: readonly State[] }> = {
  submit: { by: ['applicant'], in: ['draft'] },
  withdraw: { by: ['applicant'], in: ['draft', 'awaitingPayment', 'underReview', 'correctionRequested'] },
  confirmPayment: { by: ['payment'], in: ['awaitingPayment'] },
  approve: { by: ['reviewer'], in: ['underReview'] },
  requestCorrection: { by: ['reviewer'], in: ['underReview'] },
  requestKoseki: { by: ['reviewer'], in: ['underReview'] },
  reject: { by: ['reviewer'], in: ['underReview'] },
  resubmit: { by: ['applicant'], in: ['correctionRequested'] },
  correctionDeadlinePassed: { by: [], in: [] }, // the timer's (system) only
};

/** A caller; `sub: OWNER` is whoever applied for the application in question. */
interface Caller {
  readonly name: string;
  readonly role?: TokenRole;
  readonly registrar?: string;
  readonly sub?: string;
  readonly token?: 'none' | 'forged';
}
const OWNER = '@owner';
const REGISTRAR = 'test-body'; // of test-qual, where every application of the matrix lives
const callers: Caller[] = [
  { name: 'no token', token: 'none' },
  { name: 'a forged token', token: 'forged' },
  ...[OWNER, 'someone-else'].flatMap((sub): Caller[] => {
    const as = sub === OWNER ? 'the applicant' : 'someone else';
    return [
      { name: `applicant ${as}`, role: 'applicant', sub },
      ...(['reviewer', 'registrar-admin'] as const).flatMap((role) => [
        { name: `${role} of the registrar with the id of ${as}`, role, registrar: REGISTRAR, sub },
        { name: `${role} of another registrar with the id of ${as}`, role, registrar: 'other-body', sub },
      ]),
      ...(['linkage', 'payment', 'admin'] as const).map((role) => ({ name: `${role} with the id of ${as}`, role, sub })),
    ];
  }),
];

interface Outcome { readonly status: number; readonly code?: string; readonly denied: boolean }
const allow = (status: number): Outcome => ({ status, denied: false });
const refuse = (status: number, code: string): Outcome => ({ status, code, denied: false });
const deny = (status: 401 | 403 | 404, code: string): Outcome => ({ status, code, denied: true });
const unauthenticated = (c: Caller) => deny(401, c.token === 'none' ? 'AUTH_TOKEN_MISSING' : 'AUTH_TOKEN_INVALID');
const forbidden = deny(403, 'AUTH_FORBIDDEN');
const hidden = deny(404, 'APPLICATION_NOT_FOUND');

type AppRoute = { kind: 'read'; name: string; path: string } | { kind: 'edit' | 'upload' | 'readAttachment'; name: string } | { kind: 'event'; name: string; type: string };
const appRoutes: AppRoute[] = [
  { kind: 'read', name: 'GET application', path: '' },
  { kind: 'read', name: 'GET events', path: '/events' },
  { kind: 'edit', name: 'PATCH application' },
  { kind: 'upload', name: 'PUT attachment' },
  { kind: 'readAttachment', name: 'GET attachment' },
  ...Object.keys(events).map((type): AppRoute => ({ kind: 'event', name: `POST event ${type}`, type })),
];

/** The policy's answer for `c` on an application of REGISTRAR in `state`. */
function expected(c: Caller, route: AppRoute, state: State): Outcome {
  if (!c.role) return unauthenticated(c);
  const { reach, reads } = policy[c.role];
  const owns = c.sub === OWNER;
  const reaches = reach === 'all' || (reach === 'own' && owns) || (reach === 'registrar' && c.registrar === REGISTRAR);
  switch (route.kind) {
    case 'read':
      return !reads ? forbidden : !reaches ? hidden : allow(200);
    // Nothing is uploaded in the matrix: a caller who may read is told so.
    case 'readAttachment':
      return !reads ? forbidden : !reaches ? hidden : refuse(404, 'ATTACHMENT_NOT_FOUND');
    case 'edit':
    case 'upload':
      if (c.role !== 'applicant') return forbidden;
      return !reaches ? hidden : editable.includes(state) ? allow(200) : refuse(409, 'APPLICATION_NOT_EDITABLE');
    case 'event': {
      const event = events[route.type]!;
      if (reach === 'none') return forbidden;
      if (!reaches) return hidden;
      if (!event.by.includes(c.role)) return forbidden;
      return event.in.includes(state) ? allow(200) : refuse(422, 'APPLICATION_EVENT_NOT_ALLOWED');
    }
  }
}

/** Routes on no particular application, with the policy's answer for each caller. */
const otherRoutes: { name: string; method: 'GET' | 'POST'; url: string; payload?: object; expect: (c: Caller) => Outcome }[] = [
  ...['test-qual', 'other-qual'].map((q) => ({
    name: `POST create on ${q}`, method: 'POST' as const, url: `/v1/qualifications/${q}/procedures/registration/applications`, payload: { data: {} },
    expect: (c: Caller) => (!c.role ? unauthenticated(c) : c.role === 'applicant' ? allow(201) : forbidden),
  })),
  { name: 'GET my applications', method: 'GET', url: '/v1/me/applications', expect: (c) => (!c.role ? unauthenticated(c) : c.role === 'applicant' ? allow(200) : forbidden) },
  { name: 'GET review queue', method: 'GET', url: '/v1/review/applications', expect: (c) => (!c.role ? unauthenticated(c) : c.role === 'reviewer' || c.role === 'registrar-admin' ? allow(200) : forbidden) },
  { name: 'GET my qualifications', method: 'GET', url: '/v1/me/qualifications', expect: (c) => (!c.role ? unauthenticated(c) : c.role === 'applicant' ? allow(200) : forbidden) },
  // Nobody in the matrix holds a certificate yet: the holder is told so; everyone else may not ask.
  {
    name: 'GET my certificate', method: 'GET', url: '/v1/me/qualifications/test-qual/certificate.pdf',
    expect: (c) => (!c.role ? unauthenticated(c) : c.role === 'applicant' ? refuse(404, 'CERTIFICATE_NOT_FOUND') : forbidden),
  },
  {
    name: 'POST revoke a certificate', method: 'POST', url: '/v1/admin/certificates/00000000-0000-4000-8000-000000000000/revoke', payload: { reason: 'test' },
    expect: (c) => (!c.role ? unauthenticated(c) : c.role === 'admin' ? refuse(404, 'CERTIFICATE_NOT_FOUND') : forbidden),
  },
  ...['/v1/qualifications', '/v1/qualifications/test-qual', '/v1/qualifications/test-qual/procedures/registration/form', '/healthz', '/readyz', '/openapi.json'].map((url) => ({
    name: `GET ${url}`, method: 'GET' as const, url, expect: () => allow(200),
  })),
];

// ---- Running the matrix ----

const person = { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-1' };
const patchedEmail = 'hanako.yamada@example.jp';
const scannedPdf = Buffer.from('%PDF-1.4\n%%EOF\n');

interface Result {
  readonly cell: string;
  readonly caller: Caller;
  readonly sub: string | undefined;
  readonly url: string;
  readonly expected: Outcome;
  readonly status: number;
  readonly contentType: string;
  readonly body: Record<string, any>;
  readonly denials: LogLine[];
  /** Whether the database changed; undefined for cells allowed to change it. */
  readonly changed?: boolean;
}

describe.each(databaseKinds)('authorization matrix on %s', (kind) => {
  let s: TestServer;
  const logs: LogLine[] = [];
  const results: Result[] = [];
  const tokens = new Map<string, string>();
  let forged: string;

  const authorization = async (c: Caller, sub: string | undefined): Promise<string | undefined> => {
    if (c.token === 'none') return undefined;
    if (c.token === 'forged' || !c.role || !sub) return `Bearer ${forged}`;
    const key = `${c.role}|${c.registrar ?? ''}|${sub}`;
    if (!tokens.has(key)) tokens.set(key, await s.token({ sub, role: c.role, ...(c.registrar ? { registrar: c.registrar } : {}) }));
    return `Bearer ${tokens.get(key)}`;
  };

  /** An application of test-qual applied for by `owner`, brought to `state` through the engine. */
  async function applicationIn(state: State, owner: string): Promise<{ id: string; owner: string; version: number }> {
    const deps = s.engine;
    const reviewer = { id: 'setup-reviewer', role: 'reviewer', registrar: REGISTRAR } as const;
    let row = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: { id: owner, role: 'applicant' }, data: person, submit: state !== 'draft' });
    const steps: Record<State, [string, typeof reviewer | { id: string; role: 'payment' }][]> = {
      draft: [],
      awaitingPayment: [],
      underReview: [['confirmPayment', { id: 'setup-payment', role: 'payment' }]],
      correctionRequested: [['confirmPayment', { id: 'setup-payment', role: 'payment' }], ['requestCorrection', reviewer]],
      registered: [['confirmPayment', { id: 'setup-payment', role: 'payment' }], ['approve', reviewer]],
    };
    for (const [type, actor] of steps[state]) row = await sendEvent(deps, { applicationId: row.id, type, actor, comment: 'setup' });
    expect(row.state).toBe(state);
    return { id: row.id, owner, version: row.version };
  }

  // Counts that any write moves: a denial must leave every one of them alone.
  const fingerprint = async () => JSON.stringify((await sql`SELECT
    (SELECT count(*) FROM applications) AS applications, (SELECT coalesce(sum(version), 0) FROM applications) AS versions,
    (SELECT count(*) FROM application_events) AS events, (SELECT count(*) FROM outbox) AS outbox,
    (SELECT count(*) FROM registry_entries) AS entries, (SELECT count(*) FROM timers) AS timers, (SELECT count(*) FROM attachments) AS attachments`.execute(s.engine.db)).rows);

  async function run(cell: string, caller: Caller, sub: string | undefined, request: { method: 'GET' | 'POST' | 'PATCH' | 'PUT'; url: string; payload?: object; contentType?: string; ifMatch?: number }, outcome: Outcome, mayChange: boolean) {
    const auth = await authorization(caller, sub);
    const headers: Record<string, string> = {
      ...(auth ? { authorization: auth } : {}), ...(request.ifMatch ? { 'if-match': `"${request.ifMatch}"` } : {}), ...(request.contentType ? { 'content-type': request.contentType } : {}),
    };
    const before = mayChange ? undefined : await fingerprint();
    const from = logs.length;
    const res = await s.app.inject({ method: request.method, url: request.url, headers, ...(request.payload ? { payload: request.payload } : {}) });
    const denials = logs.slice(from).filter((l) => l.security === 'access-denied');
    const changed = before === undefined ? undefined : before !== (await fingerprint());
    results.push({ cell, caller, sub, url: request.url, expected: outcome, status: res.statusCode, contentType: String(res.headers['content-type']), body: res.json(), denials, ...(changed === undefined ? {} : { changed }) });
  }

  beforeAll(async () => {
    s = await createTestServer(kind, { logSink: logs, rateLimits: { perIpPerMinute: 100_000, perCallerPerMinute: 100_000 } });
    const { privateKey } = await generateKeyPair('ES256');
    forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setSubject('intruder').setIssuer('urn:shikaku:development').setAudience('shikaku').setExpirationTime('1h').sign(privateKey);
    const shared = new Map<State, { id: string; owner: string; version: number }>();
    for (const state of states) shared.set(state, await applicationIn(state, `owner-${state}`));
    let fresh = 0;
    for (const caller of callers) {
      for (const state of states) {
        for (const route of appRoutes) {
          const sharedApp = shared.get(state)!;
          const outcome = expected(caller, route, state);
          // A cell that should succeed gets an application of its own, so shared ones stay in their state.
          const mutates = !outcome.denied && outcome.status < 300 && route.kind !== 'read';
          const target = mutates ? await applicationIn(state, `owner-fresh-${++fresh}`) : sharedApp;
          const sub = caller.sub === OWNER ? target.owner : caller.sub;
          const suffix = { read: route.kind === 'read' ? route.path : '', edit: '', upload: '/attachments/passCertificate', readAttachment: '/attachments/passCertificate', event: '/events' }[route.kind];
          const url = `/v1/applications/${target.id}${suffix}`;
          const request = route.kind === 'read' || route.kind === 'readAttachment'
            ? { method: 'GET' as const, url }
            : route.kind === 'edit'
              ? { method: 'PATCH' as const, url, ifMatch: target.version, payload: { data: { email: patchedEmail } } }
              : route.kind === 'upload'
                ? { method: 'PUT' as const, url, ifMatch: target.version, payload: scannedPdf, contentType: 'application/pdf' }
                : { method: 'POST' as const, url, ifMatch: target.version, payload: { type: route.kind === 'event' ? route.type : '', comment: 'matrix' } };
          await run(`${caller.name} → ${route.name} [${state}]`, caller, sub, request, outcome, mutates);
        }
      }
      const sub = caller.sub === OWNER ? shared.get('draft')!.owner : caller.sub;
      await run(`${caller.name} → GET a missing application`, caller, sub, { method: 'GET', url: '/v1/applications/00000000-0000-4000-8000-000000000000' },
        !caller.role ? unauthenticated(caller) : policy[caller.role].reads ? refuse(404, 'APPLICATION_NOT_FOUND') : forbidden, false);
      for (const route of otherRoutes) {
        const outcome = route.expect(caller);
        await run(`${caller.name} → ${route.name}`, caller, sub, route, outcome, outcome.status === 201);
      }
    }
  });
  afterAll(async () => s?.close());

  const describeResult = (r: Result) => `${r.cell}: ${r.status} ${r.body.code ?? ''}, expected ${r.expected.status} ${r.expected.code ?? ''}`;

  it('answers every cell as the policy table says, with no unexpected 2xx', () => {
    expect(results.length).toBeGreaterThan(1000);
    expect(results.filter((r) => r.status < 300 && r.expected.status >= 300).map(describeResult)).toEqual([]);
    expect(results.filter((r) => r.status !== r.expected.status || (r.expected.code && r.body.code !== r.expected.code)).map(describeResult)).toEqual([]);
  });

  it('answers every denial with problem details: 401 for tokens, 403 for roles, 404 for another party\'s application', () => {
    const denied = results.filter((r) => r.expected.denied);
    expect(denied.length).toBeGreaterThan(700);
    for (const r of denied) {
      expect(r.contentType, r.cell).toMatch(/^application\/problem\+json/);
      expect({ status: r.body.status, code: r.body.code }, r.cell).toEqual({ status: r.status, code: r.expected.code });
    }
  });

  it('answers another party\'s application exactly like one that does not exist', () => {
    const missing = new Map(results.filter((r) => r.cell.endsWith('GET a missing application')).map((r) => [r.caller.name, r.body]));
    const hiddenReads = results.filter((r) => r.expected.status === 404 && r.cell.includes('→ GET application ['));
    expect(hiddenReads.length).toBeGreaterThan(0);
    for (const r of hiddenReads) {
      const id = r.url.split('/')[3]!;
      expect(JSON.parse(JSON.stringify(r.body).replaceAll(id, '00000000-0000-4000-8000-000000000000')), r.cell).toEqual(missing.get(r.caller.name));
    }
  });

  it('changes nothing in the database on any denial, refusal or read', () => {
    expect(results.filter((r) => r.changed === true).map((r) => r.cell)).toEqual([]);
    expect(results.filter((r) => r.expected.denied && r.changed === undefined)).toEqual([]);
  });

  it('logs every denial exactly once with actor, role, resource and reason, and nothing else as a denial', () => {
    for (const r of results) {
      if (!r.expected.denied) {
        expect(r.denials, r.cell).toEqual([]);
        continue;
      }
      expect(r.denials, r.cell).toHaveLength(1);
      const line = r.denials[0]!;
      // A forged token's claims are never trusted, not even for the log.
      const verified = r.caller.token === undefined;
      expect({ actor: line.actor, role: line.role, registrar: line.registrar, resource: line.resource, status: line.status, code: line.code }, r.cell).toEqual({
        actor: verified ? r.sub : null, role: verified ? r.caller.role : null, registrar: verified ? (r.caller.registrar ?? null) : null,
        resource: r.url, status: r.status, code: r.expected.code,
      });
      expect(typeof line.reason === 'string' && line.reason.length > 0 && typeof line.reqId === 'string', r.cell).toBe(true);
    }
  });

  it('never logs a token or application data', () => {
    const text = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThan(results.length);
    for (const secret of [...tokens.values(), forged, ...Object.values(person), patchedEmail]) expect(text).not.toContain(secret);
  });

  it('lists only the caller\'s own applications, and only their registrar\'s in the review queue', () => {
    const registrarOf: Record<string, string> = { 'test-qual': 'test-body', 'other-qual': 'other-body' };
    const lists = results.filter((r) => r.status === 200 && (r.url === '/v1/me/applications' || r.url === '/v1/review/applications'));
    expect(lists.length).toBe(2 + 8); // two applicants' lists, eight staff callers' queues
    for (const r of lists) {
      const items = r.body.items as { applicant: string; qualification: string }[];
      if (r.url === '/v1/me/applications') expect(items.filter((i) => i.applicant !== r.sub), r.cell).toEqual([]);
      else expect(items.filter((i) => registrarOf[i.qualification] !== r.caller.registrar), r.cell).toEqual([]);
    }
    const own = lists.find((r) => r.url === '/v1/me/applications' && r.sub === 'owner-draft')!;
    expect(own.body.items.length).toBeGreaterThan(0);
  });

  it('tells the payment role the new state of an application, not the applicant\'s data', () => {
    const paid = results.filter((r) => r.caller.role === 'payment' && r.status === 200 && r.url.endsWith('/events'));
    expect(paid.length).toBe(2);
    for (const r of paid) expect({ state: r.body.state, data: r.body.data, notice: r.body.notice }).toEqual({ state: 'underReview', data: {}, notice: undefined });
  });
});
