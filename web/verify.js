// The verification page (GET /verify): reads the certificate token from the URL fragment (which
// browsers never send to a server), asks POST v1/verify, and shows the verdict and the printed items.
// Writes to the page only through textContent: the page's CSP enforces Trusted Types.
'use strict';

(() => {
  const tokenProblem = {
    ja: 'QRコードの内容が正しくありません（改ざんまたは偽造の疑い）',
    en: 'The code is not genuine: it was altered or forged',
  };
  /** The reasons POST /v1/verify gives, in words. */
  const reasons = {
    superseded: { ja: '再交付により、この資格者証は無効になりました', en: 'Superseded: a newer certificate was issued (reissue)' },
    deregistered: { ja: '資格の登録が抹消されています', en: 'The registration has been deleted from the register' },
    revoked: { ja: 'この資格者証は交付機関により失効されています', en: 'The issuing body revoked this certificate' },
    'not-found': { ja: 'この資格者証は発行されていません', en: 'No such certificate was issued' },
    'retired-key': { ja: 'この資格者証の署名鍵は廃止されています。再交付を受けてください', en: 'The key that signed this certificate has been retired; a reissue is needed' },
    'unknown-key': tokenProblem,
    'signature-invalid': tokenProblem,
    'header-not-allowed': tokenProblem,
    'algorithm-not-allowed': tokenProblem,
    'wrong-type': tokenProblem,
    malformed: { ja: 'QRコードの内容を読み取れませんでした（改ざんまたは破損の疑い）', en: 'The code could not be read: it is damaged or altered' },
  };
  /** The printed items, in the order of the certificate (seed items ①–⑦). */
  const items = [
    ['qualificationName', '資格名称', 'Qualification'],
    ['name', '氏名', 'Name'],
    ['birthDate', '生年月日', 'Date of birth'],
    ['registrationNumber', '登録番号', 'Registration number'],
    ['issuedOn', '発行年月日', 'Issued on'],
    ['issuer', '交付機関', 'Issued by'],
    ['id', '証明書ID', 'Certificate ID'],
  ];

  const byId = (id) => document.getElementById(id);

  function show(verdict, ja, en, reason) {
    const box = byId('verdict');
    box.dataset.verdict = verdict;
    byId('verdict-ja').textContent = ja;
    byId('verdict-en').textContent = en;
    for (const lang of ['ja', 'en']) {
      const line = byId(`reason-${lang}`);
      line.textContent = reason ? reason[lang] : '';
      line.hidden = !reason;
    }
  }

  function showItems(certificate) {
    const list = byId('item-list');
    list.replaceChildren();
    if (!certificate) {
      byId('items').hidden = true;
      return;
    }
    for (const [key, ja, en] of items) {
      let value = certificate[key];
      if (value && typeof value === 'object') value = value.ja;
      if (!value) continue;
      const term = document.createElement('dt');
      const english = document.createElement('span');
      english.className = 'en';
      english.lang = 'en';
      english.textContent = en;
      term.append(ja, english);
      const description = document.createElement('dd');
      description.dataset.item = key;
      description.textContent = value;
      list.append(term, description);
    }
    byId('items').hidden = false;
  }

  function showAsOf(statusAsOf) {
    const line = byId('as-of');
    if (!statusAsOf) {
      line.hidden = true;
      return;
    }
    const when = new Date(statusAsOf).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo' });
    line.textContent = `${when} 時点の資格名簿による確認 / Checked against the register as of ${statusAsOf}`;
    line.hidden = false;
  }

  async function check() {
    const token = window.location.hash.slice(1).trim();
    showItems(null);
    showAsOf(null);
    if (!token) {
      show('missing', 'QRコードを読み取ってください', 'Scan the QR code on a certificate to check it', null);
      return;
    }
    show('checking', '確認しています…', 'Checking…', null);
    let result;
    try {
      const response = await fetch('v1/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ token }),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      result = await response.json();
    } catch {
      // Not a verdict: the server could not be asked (offline, busy or rate-limited).
      show('error', '確認できませんでした', 'Could not check now', { ja: '通信できませんでした。しばらくしてから再度お試しください', en: 'Please try again in a moment' });
      return;
    }
    if (result.valid) show('valid', '有効です', 'Valid', null);
    else show('invalid', '無効です', 'Not valid', reasons[result.reason] ?? tokenProblem);
    showItems(result.certificate);
    showAsOf(result.statusAsOf);
  }

  window.addEventListener('hashchange', check);
  check();
})();
