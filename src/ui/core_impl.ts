/**
 * CoreApi over the real core. Modules that pull in serialport or the protocol are imported
 * on first use, so activating the extension stays cheap.
 */
import { chipFacts, type ChipName } from '../core/chips';
import type { ImageInfo } from '../core/formats/image_format';
import { looksLikeImage, parseImage } from '../core/formats/image_parse';
import { checkPlan, planProblemsWithDevice } from '../core/plan/check_plan';
import { planToJson } from '../core/plan/plan_json';
import { segmentsFromPlan } from '../core/flash/segments_from_plan';
import { setVirtualPortOpener } from '../core/transport/virtual_port_registry';
import type { CoreApi } from './core_api';
import type { ImageSummary } from './plan_rows';

function summary(info: ImageInfo | undefined): ImageSummary | undefined {
  if (!info) return undefined;
  const s: ImageSummary = {};
  if (info.chip) s.chip = chipFacts(info.chip).displayName;
  else if (info.chipId !== undefined) s.chip = `unknown chip id ${info.chipId}`;
  if (info.appDesc) {
    s.project = info.appDesc.projectName;
    s.version = info.appDesc.version;
    s.idfVersion = info.appDesc.idfVersion;
    s.date = info.appDesc.date;
    s.time = info.appDesc.time;
  } else if (info.bootloaderDesc) {
    s.version = `bootloader v${info.bootloaderDesc.version}`;
    s.idfVersion = info.bootloaderDesc.idfVersion;
    s.date = info.bootloaderDesc.dateTime;
  }
  return s;
}

/** `extensionDir` is where dist/ lives (the bundled stubs and prebuilds sit beside the bundle). */
export function createCore(_extensionDir: string): CoreApi {
  // "virtual:<chip>" ports (dry runs): the virtual chip, loaded on first use.
  setVirtualPortOpener(async (port, baud, opts) => (await import('../sim/virtual_port_opener')).openVirtualPort(port, baud, opts));
  return {
    readProject: async (folder, buildDir) => {
      const { readProject } = await import('../core/project/read_project');
      // The reader takes a workspace, project or build folder: an override is read directly.
      return readProject(buildDir ?? folder);
    },
    checkPlan: (plan, ctx) => checkPlan(plan, ctx),
    planProblemsWithDevice: (problems, plan, device) => planProblemsWithDevice(problems, plan, device),
    segmentsFromPlan: (plan, kind, mode, overrides) => segmentsFromPlan(plan, kind, mode, overrides),
    flashSegments: async (segments, opts) => (await import('../core/flash/flash_job')).flashSegments(segments, opts),
    readDeviceInfo: async (opts) => (await import('../core/flash/device_ops')).readDeviceInfo(opts),
    eraseFlash: async (opts) => (await import('../core/flash/device_ops')).eraseFlash(opts),
    eraseRegion: async (opts, offset, size) => (await import('../core/flash/device_ops')).eraseRegion(opts, offset, size),
    describeImage: (segment, chip?: ChipName) => {
      if (segment.image) return summary(segment.image);
      if (!looksLikeImage(segment.bytes)) return undefined;
      return summary(parseImage(segment.bytes, { chip, file: segment.file }).info);
    },
    listPorts: async () => {
      const { SerialPort } = await import('serialport');
      return SerialPort.list();
    },
    planToJson: (plan) => planToJson(plan),
    selectLinePorts: async (ports) => {
      const { selectPorts, listSerialPorts } = await import('../core/line/port_selection');
      return selectPorts({ ports, patterns: [] }, listSerialPorts);
    },
    runLine: async (ports, job, opts) => (await import('../core/line/line_runner')).runLine(ports, job, opts),
    openReport: async (file, what) => (await import('../core/line/report_file')).ReportWriter.open(file, what),
  };
}
