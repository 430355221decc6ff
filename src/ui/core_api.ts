/**
 * The core functions the UI calls, as one interface (the UI never reaches past it). The
 * implementation, core_impl.ts, loads the core lazily so activation stays cheap. No vscode here.
 */
import type { ChipName } from '../core/chips';
import type { ConnectOptions, DeviceInfo, FlashOptions, FlashResult, WriteSegment } from '../core/flash/api';
import type { FlashPlan, PlanSegment } from '../core/plan/flash_plan';
import type { Problem } from '../core/plan/problem';
import type { CheckPlanOptions } from '../core/plan/check_plan';
import type { DeviceRecord as LineRecord } from '../core/line/device_record';
import type { LineJob, LineRunOptions } from '../core/line/line_runner';
import type { LinePort } from '../core/line/port_selection';
import type { ReportWriter } from '../core/line/report_file';
import type { ImageSummary, ProjectView } from './plan_rows';
import type { ListedPort } from './usb_bridges';

export type { WriteKind } from '../core/plan/segment_encryption';
export type { EncryptedBy as EncryptionMode } from '../core/plan/segment_encryption';
import type { EncryptedBy, WriteKind } from '../core/plan/segment_encryption';

export interface CoreApi {
  readProject(folder: string, buildDir?: string): Promise<ProjectView>;
  checkPlan(plan: FlashPlan, ctx: CheckPlanOptions): Problem[];
  /** The plan's problems plus what the device's facts add (the same function as `plan --device-*`). */
  planProblemsWithDevice(problems: Problem[], plan: FlashPlan, device: CheckPlanOptions): Problem[];
  /** The segments to write: all plain, or encrypted per the build's flags and the user's overrides. */
  segmentsFromPlan(plan: FlashPlan, kind: WriteKind, mode: EncryptedBy, overrides?: Record<string, boolean>): WriteSegment[];
  flashSegments(segments: WriteSegment[], opts: FlashOptions): Promise<FlashResult>;
  readDeviceInfo(opts: ConnectOptions): Promise<DeviceInfo>;
  eraseFlash(opts: ConnectOptions): Promise<void>;
  eraseRegion(opts: ConnectOptions, offset: number, size: number): Promise<void>;
  /** Chip, project, version, ESP-IDF version and build date of an image segment, if it is one. */
  describeImage(segment: PlanSegment, chip?: ChipName): ImageSummary | undefined;
  listPorts(): Promise<ListedPort[]>;
  /** Plan JSON (planToJson) for "copy plan" and tests. */
  planToJson(plan: FlashPlan): unknown;
  /** Flash All: the ports as the production line takes them (USB details added; the same device twice is a PortSelectionError). */
  selectLinePorts(ports: string[]): Promise<LinePort[]>;
  /** Flash All: the production line the CLI's multi-port flash runs (src/core/line/line_runner.ts). */
  runLine(ports: LinePort[], job: LineJob, opts: LineRunOptions): Promise<LineRecord[]>;
  /** The report file, checked writable before anything is flashed (ReportFileError otherwise); `what` names the setting in messages. */
  openReport(file: string, what: string): Promise<ReportWriter>;
}
