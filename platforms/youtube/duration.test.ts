import assert from 'node:assert/strict';
import { parseIsoDuration } from './duration';

describe('youtube parseIsoDuration', () => {
  it('when given minutes and seconds, then it returns the total seconds', () => {
    assert.equal(parseIsoDuration('PT3M33S'), 213);
  });

  it('when given hours, minutes and seconds, then it returns the total seconds', () => {
    assert.equal(parseIsoDuration('PT1H2M3S'), 3723);
  });

  it('when given days, weeks or only one unit, then each unit counts', () => {
    assert.equal(parseIsoDuration('P1DT2H'), 93_600);
    assert.equal(parseIsoDuration('P1W'), 604_800);
    assert.equal(parseIsoDuration('PT45S'), 45);
    assert.equal(parseIsoDuration('PT10M'), 600);
  });

  it('when given P0D (a live broadcast), then it returns 0', () => {
    assert.equal(parseIsoDuration('P0D'), 0);
  });

  it('when given fractional seconds, then it rounds to whole seconds', () => {
    assert.equal(parseIsoDuration('PT1.6S'), 2);
  });

  it('when given something that is not a duration, then it returns null', () => {
    for (const text of ['', 'P', 'PT', '3M33S', 'PT3X', 'P1Y', 'PT-5S', 'pt3m']) {
      assert.equal(parseIsoDuration(text), null, text);
    }
  });
});
