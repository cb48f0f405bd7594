import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const person = (n: number) => ({ familyName: '山田', givenName: `花子${n}`, familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', birthDate: '1990-04-01', honseki: '東京都', examPassNumber: `Q-${n}` });
const MINUTE = 60_000;

describe.each(databaseKinds)('the review queue and my applications on %s', (kind) => {
  let s: TestServer;
  let reviewer: string;
  const drafts: string[] = [];
  const submitted: string[] = [];
  let mine: string[];
  beforeAll(async () => {
    s = await createTestServer(kind);
    reviewer = `Bearer ${await s.token({ sub: 'queue-reviewer', role: 'reviewer', registrar: 'test-body' })}`;
    const applicant = `Bearer ${await s.token({ sub: 'queue-applicant', role: 'applicant' })}`;
    // Seven test-qual applications a minute apart: four drafts and three submitted (awaiting payment).
    for (let n = 0; n < 7; n++) {
      const who = n === 0 ? applicant : `Bearer ${await s.token({ sub: `queue-person-${n}`, role: 'applicant' })}`;
      const res = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: who }, payload: { data: person(n), submit: n % 2 === 1 } });
      expect(res.statusCode).toBe(201);
      (n % 2 === 1 ? submitted : drafts).push(res.json().id);
      s.clock.advance(MINUTE);
    }
    // Another registrar's application never shows in this queue.
    const { examPassNumber: _none, ...otherData } = person(9);
    const other = await s.app.inject({ method: 'POST', url: '/v1/qualifications/other-qual/procedures/registration/applications', headers: { authorization: applicant }, payload: { data: otherData } });
    expect(other.statusCode).toBe(201);
    mine = [drafts[0]!];
  });
  afterAll(async () => s?.close());

  const get = (url: string, authorization = reviewer) => s.app.inject({ method: 'GET', url, headers: { authorization } });

  /** Follows nextCursor to the end; returns the ids in order and the number of pages. */
  async function pages(url: string, authorization = reviewer): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let count = 0;
    do {
      const res = await get(`${url}${url.includes('?') ? '&' : '?'}limit=2${cursor ? `&cursor=${cursor}` : ''}`, authorization);
      expect(res.statusCode, res.body).toBe(200);
      ids.push(...res.json().items.map((i: { id: string }) => i.id));
      cursor = res.json().nextCursor;
      count++;
    } while (cursor);
    return { ids, pages: count };
  }

  it('pages through the whole queue oldest first, each application once, with the registrar\'s own only', async () => {
    const all = await pages('/v1/review/applications');
    const created = [drafts[0], submitted[0], drafts[1], submitted[1], drafts[2], submitted[2], drafts[3]];
    expect(all).toEqual({ ids: created, pages: 4 });
  });

  it('filters by state and qualification, and counts per state under the qualification filter', async () => {
    expect((await pages('/v1/review/applications?state=awaitingPayment')).ids).toEqual(submitted);
    const page = (await get('/v1/review/applications?qualification=test-qual&state=draft&limit=100')).json();
    expect(page.items.map((i: { id: string }) => i.id)).toEqual(drafts);
    expect(page.counts).toEqual({ draft: 4, awaitingPayment: 3 });
    expect(Date.parse(page.countsAsOf)).not.toBeNaN();
    expect((await get('/v1/review/applications?qualification=other-qual')).json()).toMatchObject({ items: [], counts: {} });
  });

  it('reuses counts for a few seconds, then counts again', async () => {
    const first = (await get('/v1/review/applications?procedure=registration')).json();
    const applicant = `Bearer ${await s.token({ sub: 'queue-late', role: 'applicant' })}`;
    await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: applicant }, payload: { data: person(20) } });
    const cached = (await get('/v1/review/applications?procedure=registration')).json();
    expect({ counts: cached.counts, asOf: cached.countsAsOf }).toEqual({ counts: first.counts, asOf: first.countsAsOf });
    expect(cached.items).toHaveLength(first.items.length + 1);
    s.clock.advance(6000);
    const fresh = (await get('/v1/review/applications?procedure=registration')).json();
    expect(fresh.counts.draft).toBe(first.counts.draft + 1);
    expect(fresh.countsAsOf).not.toBe(first.countsAsOf);
  });

  it('lists an applicant\'s own applications newest first, and only theirs', async () => {
    const applicant = `Bearer ${await s.token({ sub: 'queue-applicant', role: 'applicant' })}`;
    const res = await get('/v1/me/applications', applicant);
    expect(res.statusCode).toBe(200);
    const ids = res.json().items.map((i: { id: string }) => i.id);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(mine[0]);
    expect(res.json().items.map((i: { qualification: string }) => i.qualification)).toEqual(['other-qual', 'test-qual']);
  });

  it('refuses a cursor it did not issue, and page sizes outside 1 to 100', async () => {
    for (const query of ['cursor=bm90LWEtY3Vyc29y', 'cursor=%7B%7D', 'limit=0', 'limit=101', 'limit=abc', 'limit=-1']) {
      const res = await get(`/v1/review/applications?${query}`);
      expect({ query, status: res.statusCode, code: res.json().code }).toEqual({ query, status: 400, code: 'REQUEST_INVALID' });
    }
  });
});
