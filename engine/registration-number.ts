/** A registration number in its declared display form, e.g. 第000123号. Pure. */
export function formatRegistrationNumber(n: number, format: { digits: number | null; prefix?: string | undefined; display: string }): string {
  const digits = format.digits ? String(n).padStart(format.digits, '0') : String(n);
  return format.display.replace('{number}', `${format.prefix ?? ''}${digits}`);
}
