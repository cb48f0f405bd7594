import { formatRegistrationNumber, type CertificateSubject } from '../engine/index.ts';
import type { CertificateItemView, CertificateView } from '../renderer/index.ts';

type Item = CertificateSubject['qualification']['certificate']['front'][number];

// Labels of the seed's items ①–⑨ as printed.
const labels: Record<Exclude<Item, 'qrCode'>, { ja: string; en: string }> = {
  qualificationName: { ja: '資格名称', en: 'Qualification' },
  name: { ja: '氏名', en: 'Name' },
  birthDate: { ja: '生年月日', en: 'Date of birth' },
  registrationNumber: { ja: '登録番号', en: 'Registration number' },
  registeredOn: { ja: '登録年月日', en: 'Registered on' },
  issuedOn: { ja: '発行年月日', en: 'Issued on' },
  issuer: { ja: '交付機関', en: 'Issued by' },
  honseki: { ja: '本籍地都道府県名', en: 'Prefecture of family register' },
  expiresOn: { ja: '有効期限', en: 'Valid until' },
  variant: { ja: '種別', en: 'Kind' },
};

/** yyyy/mm/dd, as the seed prints dates (item ③ and ⑤). */
export const printedDate = (isoDate: string) => isoDate.replaceAll('-', '/');

/** The name as registered: family name, a space, given name (no former surname: seed §2.1). */
export const printedName = (entry: CertificateSubject['entry']) => `${entry.familyName} ${entry.givenName}`;

/** The printed value of one item; undefined when the entry has nothing to print there (the item is left out). */
function valueOf(item: Exclude<Item, 'qrCode'>, subject: CertificateSubject, issuedOn: string): string | undefined {
  const { entry, qualification: q } = subject;
  switch (item) {
    case 'qualificationName':
      return q.name.ja;
    case 'name':
      return printedName(entry);
    case 'birthDate':
      return printedDate(entry.birthDate);
    case 'registrationNumber':
      return formatRegistrationNumber(entry.registrationNumber, q.registrationNumber);
    case 'registeredOn':
      return printedDate(entry.registeredOn);
    case 'issuedOn':
      return printedDate(issuedOn);
    case 'issuer':
      return q.registrar.name.ja;
    case 'honseki':
      return entry.honseki ?? undefined;
    case 'expiresOn':
      return entry.expiresOn ? printedDate(entry.expiresOn) : undefined;
    case 'variant':
      return q.variants?.items.find((v) => v.id === entry.variant)?.name.ja;
  }
}

/**
 * The one view model a certificate template sees, built from the registry entry and the definition's
 * certificate items (the holder chooses none of them); `photo` is the print-ready photo, given only where the
 * definition prints one (the subject then carries it). Pure.
 */
export function certificateView(subject: CertificateSubject, certificateId: string, qrUrl: string, issuedOn: string, photo: CertificateView['photo'] = null): CertificateView {
  const { certificate } = subject.qualification;
  const items = (list: readonly Item[]): CertificateItemView[] =>
    list.flatMap((item) => {
      if (item === 'qrCode') return [];
      const value = valueOf(item, subject, issuedOn);
      return value === undefined ? [] : [{ item, label: labels[item], value }];
    });
  const all = [...certificate.front, ...certificate.back];
  return {
    certificateId,
    title: certificate.title,
    front: items(certificate.front),
    back: items(certificate.back),
    qrUrl: all.includes('qrCode') ? qrUrl : null,
    photo,
  };
}
