import { strict as assert } from 'node:assert';
import { CHIP_MAGIC_REG, CHIP_NAMES, chipFacts } from '../../../src/core/chips';
import { detectChip } from '../../../src/core/protocol/chip_detect';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
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

  it('reports Secure Download Mode from the security flags', async () => {
    const t = fakeRom({ securityInfo: securityInfo(1 << 2, 1, [4], 5) });
    const d = await detectChip(session(t));
    assert.equal(d.chip.name, 'esp32c3');
    assert.equal(d.secureDownloadMode, true);
  });
});
