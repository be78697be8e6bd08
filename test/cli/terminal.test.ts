import t from 'tap';
import { forTerminal, recordLine } from '../../src/cli/terminal.js';

t.test('control characters from files are shown escaped, never sent to the terminal', async (t) => {
  t.equal(forTerminal('a\x1b[2Jb\x07c\u009bd'), 'a\\x1b[2Jb\\x07c\\x9bd');
  t.equal(forTerminal('plain/path é.dcm'), 'plain/path é.dcm', 'printable text, accents included, is unchanged');
  t.equal(
    recordLine({ severity: 'warning', file: 'x\ny.dcm', frame: 2, code: 'DF_WARN_COLOR_MODEL', message: 'm' }),
    'warning: x\\x0ay.dcm frame 2: DF_WARN_COLOR_MODEL: m',
  );
  t.equal(recordLine({ file: 'f', frame: null, code: 'DF_ERR_MALFORMED', message: 'bad\x1b' }), 'error: f: DF_ERR_MALFORMED: bad\\x1b');
});

t.test('JSON lines escape DEL and C1 controls as \\u, and stay the same JSON', async (t) => {
  const { jsonLine } = await import('../../src/cli/terminal.js');
  const v = { uid: '1.2\u009b3\u007f', s: 'é\x1b' };
  const line = jsonLine(v);
  t.notMatch(line, /[\u0000-\u001f\u007f-\u009f]/);
  t.same(JSON.parse(line), v);
});
