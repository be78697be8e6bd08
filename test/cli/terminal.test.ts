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
