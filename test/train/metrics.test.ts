import t from 'tap';
import { accuracy, rocAuc } from '../../src/train/metrics.js';

t.test('ROC AUC on hand-computed cases', async (t) => {
  t.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75, 'one of four pairs misordered');
  t.equal(rocAuc([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]), 1);
  t.equal(rocAuc([0.4, 0.3, 0.2, 0.1], [0, 0, 1, 1]), 0);
  t.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5, 'ties count half');
  t.equal(rocAuc([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1]), 0.875, 'one tied pair: (3 + 0.5) / 4');
  t.ok(Number.isNaN(rocAuc([0.1, 0.2], [1, 1])), 'one class only');
});

t.test('accuracy at 0.5', async (t) => {
  t.equal(accuracy([0.1, 0.6, 0.4, 0.9], [0, 1, 1, 1]), 0.75);
  t.equal(accuracy([0.5], [1]), 1, '0.5 counts as positive');
});
