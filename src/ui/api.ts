/**
 * What activate() returns: a small API for the editor tests (and other extensions) to read
 * the views' state and drive the extension without clicks.
 */
import type { DeviceInfo, FlashResult } from '../core/flash/api';
import type { Ctx } from './ctx';
import type { DeviceView } from './device_view';
import type { DialogRecord } from './dialog_queue';
import type { FlashMapView } from './flash_map_view';
import type { FlashState } from './flash_state';
import type { PlanTree } from './plan_tree';
import type { PlanRow, ProjectView } from './plan_rows';
import type { StatusBar } from './status_bar';
import type { DeviceRow } from './device_rows';
import type { LineRow } from './line_rows';
import { monitorText } from './monitor_terminal';

export interface EspFlasherApi {
  /** The Flash Plan tree as shown: rows (with `checked` for segments) and the line above it. */
  readonly planTree: { rows: PlanRow[]; headline?: string };
  /** The project as read (plan, problems, kind, buildDir, looked), or undefined. */
  readonly project: ProjectView | undefined;
  readonly lastFlashResult: FlashResult | undefined;
  readonly flashState: FlashState;
  readonly deviceInfo: DeviceInfo | undefined;
  readonly deviceRows: DeviceRow[];
  /** The Device view's rows of the last Flash All as it shows them (one per device, in the ports' order) and the line above them. */
  readonly lineRows: LineRow[];
  readonly lineHeadline: string | undefined;
  readonly port: string | undefined;
  outputLines(): string[];
  statusBarText(): string;
  /** The port item's text (a click on it runs Select Port). */
  portItemText(): string;
  /** What a click on the status-bar item runs now: command id and arguments. */
  statusBarCommand(): { command: string; arguments?: unknown[] } | undefined;
  /** Toggle a segment's encrypt checkbox exactly as a click does. */
  setEncrypt(segment: string, encrypt: boolean): Promise<void>;
  /** Queue answers for the next modal dialogs / quick picks (button or item label, port path; a list for a multi-select pick; undefined = dismiss). */
  answerDialogs(...answers: Array<string | string[] | undefined>): void;
  /** Every dialog shown so far (message, detail, buttons, answer). */
  dialogs(): DialogRecord[];
  /** The flash map's last HTML (after "Show Flash Map"). */
  flashMapHtml(): string | undefined;
  /** Cancel the running job on `port`, or all (as the notification's Cancel button does). */
  cancel(port?: string): boolean;
  /** Resolves after the project has been read again. */
  refresh(folder?: string): Promise<void>;
  /** What the monitor terminal of `port` has shown (colours removed; "" when none was opened). */
  monitorText(port: string): string;
  /** The status bar's Flash and Monitor item (undefined while hidden). */
  statusBarMonitorItem(): { text: string; command: string } | undefined;
}

export function makeApi(parts: { ctx: Ctx; tree: PlanTree; device: DeviceView; status: StatusBar; map: FlashMapView; refresh: (folder?: string) => Promise<void> }): EspFlasherApi {
  const { ctx, tree, device, status, map } = parts;
  return {
    get planTree() {
      return { rows: tree.rows(), headline: tree.headline };
    },
    get project() {
      return ctx.project?.view;
    },
    get lastFlashResult() {
      return ctx.lastFlashResult;
    },
    get flashState() {
      return { ...ctx.state };
    },
    get deviceInfo() {
      return ctx.device?.info;
    },
    get deviceRows() {
      return device.rows();
    },
    get lineRows() {
      return device.lineRows();
    },
    get lineHeadline() {
      return ctx.line.run ? device.message : undefined;
    },
    get port() {
      return ctx.port;
    },
    outputLines: () => ctx.outputLines(),
    statusBarText: () => status.text,
    portItemText: () => status.portText,
    statusBarCommand: () => status.command,
    setEncrypt: (segment, encrypt) => tree.setEncrypt(segment, encrypt),
    answerDialogs: (...answers) => ctx.prompter.queue.push(...answers),
    dialogs: () => [...ctx.prompter.queue.records],
    flashMapHtml: () => map.lastHtml,
    cancel: (port) => ctx.cancelJobs(port),
    refresh: (folder) => parts.refresh(folder),
    monitorText: (port) => monitorText(port),
    statusBarMonitorItem: () => status.monitorButton,
  };
}
