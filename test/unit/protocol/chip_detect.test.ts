import { strict as assert } from 'node:assert';
import { CHIP_MAGIC_REG, CHIP_NAMES, chipFacts } from '../../../src/core/chips';
import { detectChip } from '../../../src/core/protocol/chip_detect';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { Op } from '../../../src/core/protocol/opcodes';
import { fakeRom, securityInfo } from './fake_rom';

function session(t: ReturnType<typeof fakeRom>) {
  return new LoaderSession(new LoaderConnection(t));
}

describe('chip detection (§3.3)', () => {
  for (const name of CHIP_NAMES) {
    const c = chipFacts(name);
    it(`detects ${c.displayName} by ${c.securityInfo === 'full' ? 'chip id' : 'magic value'}`, async () => {
      const t =
        c.securityInfo === 'full'
          ? fakeRom({ securityInfo: securityInfo(0, 0, [], c.imageChipId), regs: { [CHIP_MAGIC_REG]: 0x12345678 } })
          : fakeRom({ securityInfo: c.securityInfo === 'short' ? securityInfo(0, 0, []) : undefined, regs: { [CHIP_MAGIC_REG]: c.magicValues[0] } });
      const d = await detectChip(session(t));
      assert.equal(d.chip.name, name);
    });
  }

  it('names the unknown chip id and what to do', async () => {
    const t = fakeRom({ securityInfo: securityInfo(0, 0, [], 99) });
    await assert.rejects(detectChip(session(t)), /chip id 99, which this flasher does not know.*set the chip explicitly/);
  });

  it('names an unknown magic value', async () => {
    const t = fakeRom({ regs: { [CHIP_MAGIC_REG]: 0xabcdef01 } });
    await assert.rejects(detectChip(session(t)), /magic value 0xabcdef01 at 0x40001000/);
  });

  it('told to expect an ESP32 (no GET_SECURITY_INFO in its ROM), reads only the magic register', async () => {
    const ops: number[] = [];
    const t = fakeRom({ regs: { [CHIP_MAGIC_REG]: chipFacts('esp32').magicValues[0] }, extra: (req) => void ops.push(req.op) });
    const d = await detectChip(session(t), 'esp32');
    assert.equal(d.chip.name, 'esp32');
    assert.deepEqual(ops, [Op.READ_REG], 'one READ_REG, no GET_SECURITY_INFO');
  });

  it('told to expect an ESP32 but another chip answers: the full detection names that chip', async () => {
    const c3 = chipFacts('esp32c3');
    const t = fakeRom({ securityInfo: securityInfo(0, 0, [], c3.imageChipId), regs: { [CHIP_MAGIC_REG]: c3.magicValues[0] } });
    const d = await detectChip(session(t), 'esp32');
    assert.equal(d.chip.name, 'esp32c3');
    assert.equal(d.how, `chip id ${c3.imageChipId}`);
  });

  it('told to expect a chip that has GET_SECURITY_INFO, asks it as before', async () => {
    const ops: number[] = [];
    const c3 = chipFacts('esp32c3');
    const t = fakeRom({ securityInfo: securityInfo(0, 0, [], c3.imageChipId), extra: (req) => void ops.push(req.op) });
    const d = await detectChip(session(t), 'esp32c3');
    assert.equal(d.chip.name, 'esp32c3');
    assert.equal(ops[0], Op.GET_SECURITY_INFO);
  });

  it('reports Secure Download Mode from the security flags', async () => {
    const t = fakeRom({ securityInfo: securityInfo(1 << 2, 1, [4], 5) });
    const d = await detectChip(session(t));
    assert.equal(d.chip.name, 'esp32c3');
    assert.equal(d.secureDownloadMode, true);
  });
});
