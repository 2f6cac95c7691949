/**
 * A small progress bar on stderr (hand-written: one line, no dependency).
 * On a terminal it redraws in place at most every 100 ms; elsewhere (when
 * asked for with --progress) it prints a plain line at most once a second,
 * so logs stay readable.
 */
export class ProgressBar {
  private done = 0;
  private failed = 0;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  tick(ok: boolean): void {
    this.done++;
    if (!ok) this.failed++;
    const now = Date.now();
    const interval = this.out.isTTY ? 100 : 1000;
    if (this.done === this.total || now - this.lastDraw >= interval) {
      this.lastDraw = now;
      this.draw();
    }
  }

  /** Leaves the final state on its own line. */
  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  private draw(): void {
    const ratio = this.total ? this.done / this.total : 1;
    const filled = Math.round(ratio * this.width);
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${this.done}/${this.total} ` +
      `(${Math.round(ratio * 100)}%) ${this.failed ? `${this.failed} failed ` : ''}${seconds}s`;
    this.out.write(this.out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  }
}
