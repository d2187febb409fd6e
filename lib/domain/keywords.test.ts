import assert from 'node:assert/strict';
import { titleKeywords } from './keywords';

describe('titleKeywords', () => {
  it('when a title mixes words, hashtags, numbers and short words, then only its distinct words of 3+ letters remain', () => {
    assert.deepEqual(titleKeywords('Sunny Chef: #glowchallenge Recipe recipe #12 of 2026 — ok', ['glowchallenge']), [
      'sunny',
      'chef',
      'recipe',
    ]);
  });

  it('when a word is one of the video hashtags (without #), then it is not counted twice', () => {
    assert.deepEqual(titleKeywords('pancakeflip at dawn', ['pancakeflip']), ['dawn']);
  });

  it('when a title is missing, then there are no keywords', () => {
    assert.deepEqual(titleKeywords(null), []);
  });
});
