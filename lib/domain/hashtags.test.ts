import assert from 'node:assert/strict';
import { normaliseHashtag } from './hashtags';

describe('normaliseHashtag', () => {
  it('when spelled with a #, spaces, capitals or full-width forms, then one stored form', () => {
    for (const spelling of ['#Rick Astley', 'rickastley', '＃ＲｉｃｋＡｓｔｌｅｙ', '  ##RICK astley '])
      assert.equal(normaliseHashtag(spelling), 'rickastley', spelling);
  });

  it('when nothing but marks and spaces, then nothing is left', () => {
    for (const empty of ['# #', '#', '  ', '##', '＃ '.repeat(3)]) assert.equal(normaliseHashtag(empty), '', JSON.stringify(empty));
  });

  it('when the # is inside the tag, then it stays (C# is a tag)', () => {
    assert.equal(normaliseHashtag('C#'), 'c#');
  });
});
