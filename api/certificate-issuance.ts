import { randomUUID } from 'node:crypto';
import {
  canonicalJson,
  certificateIssuedFor,
  certificateSubject,
  formatRegistrationNumber,
  japanDate,
  printedOnCurrentCertificate,
  recordCertificate,
  type CertificateSubject,
  type EngineDeps,
  type OutboxHandler,
} from '../engine/index.ts';
import { printablePhoto, verificationUrl, type CertificateRenderer, type CertificateTokens, type CertificateView, type PdfSigner } from '../renderer/index.ts';
import { certificateView, printedDate, printedName } from './certificate-view.ts';

/** What a certificate shows, without what changes every time it is printed (its id, QR and issue date). */
const printedItems = (view: CertificateView, subject: CertificateSubject) => ({
  title: view.title,
  front: view.front.filter((i) => i.item !== 'issuedOn'),
  back: view.back.filter((i) => i.item !== 'issuedOn'),
  // Only where the card has a photo, so the certificates of every other qualification compare as before.
  ...(subject.qualification.certificate.photo ? { photo: subject.photo?.sha256 ?? null } : {}),
});

export interface CertificateIssuing {
  readonly renderer: CertificateRenderer;
  readonly signer: PdfSigner;
  readonly tokens: CertificateTokens;
  /** Where the QR code's verification page lives, e.g. https://shikaku.example.jp */
  readonly publicBaseUrl: string;
}

/**
 * The worker's handler for `certificate.issue` outbox jobs (queued by approvals): render the
 * certificate with its QR token, sign the PDF, and store it as the entry's current certificate in the
 * job's transaction. A job run twice issues once. Rendering never runs in an API request.
 * @throws when the application's registry entry is gone or not active (the job is retried, its error kept).
 */
export function createCertificateIssueHandler(engine: EngineDeps, issuing: CertificateIssuing): OutboxHandler {
  return async (trx, job, now) => {
    const applicationId = String(job.payload.applicationId);
    if (await certificateIssuedFor(trx, applicationId)) return;
    const subject = await certificateSubject(engine, trx, applicationId, now);
    if (!subject) throw new Error(`application ${applicationId} has no active registry entry to certify`);
    const id = randomUUID();
    const issuedOn = japanDate(now);
    const { entry, qualification } = subject;
    const token = await issuing.tokens.sign({
      certificateId: id,
      qualificationId: qualification.id,
      registrationNumber: formatRegistrationNumber(entry.registrationNumber, qualification.registrationNumber),
      name: printedName(entry),
      birthDate: printedDate(entry.birthDate),
      issuedOn: printedDate(issuedOn),
    });
    const photo = subject.photo && (await printablePhoto(subject.photo.content));
    const view = certificateView(subject, id, verificationUrl(issuing.publicBaseUrl, token), issuedOn, photo);
    const printed = printedItems(view, subject);
    // A change of something not printed (an address, say) keeps the holder's paper valid: nothing to reissue.
    if (subject.template !== 'reissue' && canonicalJson(await printedOnCurrentCertificate(trx, entry.id)) === canonicalJson(printed)) return;
    const pdf = await issuing.renderer.render(view, { signer: issuing.signer });
    await recordCertificate(trx, { id, subject, tokenKeyId: issuing.tokens.currentKid, printed, pdf, now });
  };
}
