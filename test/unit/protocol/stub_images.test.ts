import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHIP_NAMES, chipFacts } from '../../../src/core/chips';
import { ESP_FLASHER_STUB_0_7_0, ESP_FLASHER_STUB_1_2_2, LEGACY_STUB_1_11_1, UNKNOWN_STUB, stubCapabilities } from '../../../src/core/protocol/stub_capabilities';
import { StubImageError, checkStubDir, esptoolJsFolder, loadStub, parseStubJson } from '../../../src/core/protocol/stub_images';
import { StubStartError, uploadStub } from '../../../src/core/protocol/stub_upload';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { Op } from '../../../src/core/protocol/opcodes';
import { FakeTransport, resp, u32 } from './fake_transport';

describe('flasher stub images and upload', () => {
  it('finds the esptool-js package and a stub for every chip in the table', () => {
    assert.ok(esptoolJsFolder());
    for (const name of CHIP_NAMES) {
      const stub = loadStub(chipFacts(name));
      assert.ok(stub.text.length > 1000, name);
      assert.match(stub.file, new RegExp(`${chipFacts(name).stubFiles[0]}\\.json$`));
    }
  });

  it('prefers a stub directory given by the user', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stubs-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'esp32c3.json'),
        JSON.stringify({ entry: 0x40380000, text: Buffer.from([1, 2, 3, 4]).toString('base64'), text_start: 0x40380000, data: '', data_start: 0 }),
      );
      const s = loadStub(chipFacts('esp32c3'), dir);
      assert.equal(s.file, path.join(dir, 'esp32c3.json'));
      assert.deepEqual([...s.text], [1, 2, 3, 4]);
      assert.equal(s.data, undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains a broken stub file', () => {
    assert.throws(() => parseStubJson('{', 'x.json'), /Stub file x\.json is not valid JSON/);
    assert.throws(() => parseStubJson('{"text":"AA==","text_start":1}', 'y.json'), /Stub file y\.json: "entry" must be an integer address/);
  });

  it('uploads text and data with MEM_BEGIN/MEM_DATA, jumps with MEM_END and waits for OHAI', async () => {
    const t = new FakeTransport((req) => {
      if (req.op === Op.MEM_END) return [resp(req.op), Buffer.from('OHAI')];
      return [resp(req.op)];
    });
    const s = new LoaderSession(new LoaderConnection(t));
    await uploadStub(s, { entry: 0x40380010, text: new Uint8Array(0x2000).fill(1), textStart: 0x40380000, data: new Uint8Array(16), dataStart: 0x3fc80000, file: 'f' });
    assert.equal(s.isStub, true);
    const ops = t.requests.map((r) => r.op);
    assert.deepEqual(ops, [Op.MEM_BEGIN, Op.MEM_DATA, Op.MEM_DATA, Op.MEM_BEGIN, Op.MEM_DATA, Op.MEM_END]);
    assert.deepEqual([...t.requests[0].data], [...u32(0x2000, 2, 0x1800, 0x40380000)]);
    assert.deepEqual([...t.requests[5].data], [...u32(0, 0x40380010)]);
  });

  it('says the stub did not start when no OHAI comes', async () => {
    const t = new FakeTransport((req) => [resp(req.op)]);
    const s = new LoaderSession(new LoaderConnection(t));
    await assert.rejects(
      uploadStub(s, { entry: 1, text: new Uint8Array(4), textStart: 0, file: 'stub.json' }),
      /The flasher stub \(stub\.json\) did not start: no "OHAI".*Flash without the stub \(through the ROM loader\), or use another stub folder\.$/,
    );
  });

  it('blames Secure Boot for a missing OHAI only when the eFuses show it', async function () {
    this.timeout(15_000);
    const stub = { entry: 1, text: new Uint8Array(4), textStart: 0, file: 'stub.json' };
    const upload = (ctx: { secureBoot: boolean; secureDownloadMode: boolean }) =>
      uploadStub(new LoaderSession(new LoaderConnection(new FakeTransport((req) => [resp(req.op)]))), stub, undefined, ctx);
    await assert.rejects(
      upload({ secureBoot: true, secureDownloadMode: false }),
      /did not start: no "OHAI" within 3 s after MEM_END\. This chip has Secure Boot on, which can forbid running code from RAM\. Flash without the stub \(through the ROM loader\)\.$/,
    );
    await assert.rejects(upload({ secureBoot: false, secureDownloadMode: false }), (e: unknown) => {
      assert.ok(e instanceof StubStartError);
      assert.equal(e.reason, 'no-greeting');
      assert.match(e.message, /The eFuses just read show neither Secure Boot nor Secure Download Mode/);
      assert.doesNotMatch(e.message, /can forbid/);
      return true;
    });
  });

  it('recognises the esptool-js 0.7.0 stubs as esp-flasher-stub v1.2.2 for every chip in the table', () => {
    for (const name of CHIP_NAMES) {
      const stub = loadStub(chipFacts(name));
      assert.equal(stub.identity.release, ESP_FLASHER_STUB_1_2_2, name);
      assert.equal(stubCapabilities(stub.identity).licence, 'Apache-2.0 OR MIT');
    }
  });

  const shared = path.resolve(__dirname, '../../../../shared/qemu/stubs-esptool-4.12');
  it('recognises esptool 4.12 stub sets 1 (legacy v1.11.1) and 2 (esp-flasher-stub v0.7.0)', function () {
    if (!fs.existsSync(shared)) {
      console.log('      shared esptool 4.12 stubs not present: skipped');
      this.skip();
    }
    for (const name of CHIP_NAMES) {
      const c = chipFacts(name);
      assert.equal(loadStub(c, path.join(shared, '1')).identity.release, LEGACY_STUB_1_11_1, name);
      if (c.stubFiles.some((f) => fs.existsSync(path.join(shared, '2', `${f}.json`)))) {
        assert.equal(loadStub(c, path.join(shared, '2')).identity.release, ESP_FLASHER_STUB_0_7_0, name);
      }
    }
  });

  it('an image it does not know gets the conservative set: never compressed + encrypted', () => {
    const s = parseStubJson(JSON.stringify({ entry: 1, text: Buffer.from('not a stub').toString('base64'), text_start: 0 }), 'mine.json');
    assert.equal(s.identity.release, undefined);
    assert.match(s.identity.hash, /^[0-9a-f]{32}$/);
    assert.equal(stubCapabilities(s.identity), UNKNOWN_STUB);
    assert.equal(UNKNOWN_STUB.compressedEncryptedWrites, false);
  });

  describe('--stub-dir that cannot serve is an error, never a silent switch to the bundled stubs', () => {
    let dir = '';
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stubdir-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const problem = (f: () => unknown, want: string, text: RegExp) => {
      assert.throws(f, (e: unknown) => e instanceof StubImageError && e.problem === want && text.test(e.message));
    };

    it('a folder that does not exist', () => {
      const gone = path.join(dir, 'nowhere');
      problem(() => checkStubDir(gone), 'dir-missing', /stub folder .*nowhere does not exist/);
      problem(() => loadStub(chipFacts('esp32'), gone), 'dir-missing', /does not exist/);
    });

    it('a file instead of a folder', () => {
      const f = path.join(dir, 'esp32.json');
      fs.writeFileSync(f, '{}');
      problem(() => loadStub(chipFacts('esp32'), f), 'dir-not-folder', /is a file, not a folder/);
    });

    it('an empty folder', () => {
      problem(() => loadStub(chipFacts('esp32'), dir), 'dir-empty', /holds no stub JSON files/);
    });

    it("a folder without this chip's stub names the file it wants", () => {
      fs.writeFileSync(path.join(dir, 'esp32s3.json'), '{}');
      problem(() => loadStub(chipFacts('esp32c3'), dir), 'no-stub-for-chip', /has no stub for ESP32-C3 \(esp32c3\.json\)/);
    });

    it('malformed JSON, JSON null and a missing text segment name the file', () => {
      const f = path.join(dir, 'esp32.json');
      fs.writeFileSync(f, '{"entry": 1,');
      problem(() => loadStub(chipFacts('esp32'), dir), 'file-invalid', /esp32\.json is not valid JSON/);
      fs.writeFileSync(f, 'null');
      problem(() => loadStub(chipFacts('esp32'), dir), 'file-invalid', /esp32\.json holds null, not a stub object/);
      fs.writeFileSync(f, '{"entry": 1, "text_start": 0}');
      problem(() => loadStub(chipFacts('esp32'), dir), 'file-invalid', /esp32\.json: "text" \(base64\) is missing/);
    });
  });
});
