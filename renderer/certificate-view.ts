/**
 * What a certificate template sees: one explicit view model, built by the caller from the registry entry and the
 * definition's certificate items, never by templates. Everything in it may be printed, so it holds nothing else.
 */

/** One printed item: its label and the text printed. */
export interface CertificateItemView {
  /** The definition's item key (e.g. `name`, `registrationNumber`); names the item in errors. */
  readonly item: string;
  readonly label: { readonly ja: string; readonly en?: string };
  /** Already formatted: birth date yyyy/mm/dd, number in display format. A newline starts a new line. */
  readonly value: string;
}

/** Everything a certificate template sees. */
export interface CertificateView {
  readonly certificateId: string;
  /** ① The heading, e.g. 介護福祉士登録証. */
  readonly title: string;
  /** ②–⑤, ⑦: front items in the definition's order. */
  readonly front: readonly CertificateItemView[];
  /** ⑨ Other items, on a second page; no second page when empty. */
  readonly back: readonly CertificateItemView[];
  /** ⑥ The verification URL, drawn as a QR code when not null; at most 300 bytes (UTF-8). */
  readonly qrUrl: string | null;
  /** ⑧ The holder's photo; the layout has no photo box when null. */
  readonly photo: { readonly bytes: Uint8Array; readonly type: 'png' | 'jpeg' } | null;
}
