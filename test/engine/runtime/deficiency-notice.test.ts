import { describe, expect, it } from 'vitest';
import { isAddressed, openNotice, valueAt } from '../../../engine/runtime/deficiency-notice.ts';

describe('deficiency notices', () => {
  const data = { name: '山田', attachments: { photo: 'upload-1' }, 'a/b': { '~x': 1 } };

  it('resolves JSON Pointers with RFC 6901 escapes and answers undefined for missing paths', () => {
    expect(valueAt(data, '/attachments/photo')).toBe('upload-1');
    expect(valueAt(data, '/a~1b/~0x')).toBe(1);
    expect(valueAt(data, '/attachments/missing')).toBeUndefined();
    expect(valueAt(data, '/name/0')).toBeUndefined();
    expect(valueAt(data, '/toString')).toBeUndefined();
  });

  it('records the noted values and counts a field addressed once it differs, including a field that was empty', () => {
    const notice = openNotice(data, {
      seq: 4, type: 'requestCorrection', comment: 'fix', at: new Date('2026-12-01T00:00:00Z'),
      notes: [{ path: '/attachments/photo', message: 'blurred' }, { path: '/honseki', message: 'missing' }],
    });
    expect(notice.fields).toEqual([{ path: '/attachments/photo', message: 'blurred', value: 'upload-1' }, { path: '/honseki', message: 'missing' }]);
    const [photo, honseki] = notice.fields;
    expect(isAddressed(photo!, data)).toBe(false);
    expect(isAddressed(photo!, { ...data, attachments: { photo: 'upload-2' } })).toBe(true);
    expect(isAddressed(honseki!, data)).toBe(false);
    expect(isAddressed(honseki!, { ...data, honseki: '東京都' })).toBe(true);
  });
});
