/**
 * When a run writes its checkpoint: every `checkpointSeconds` of training (0: after every update),
 * and once more when the training loop ends, whether it finished, reached its threshold or was
 * interrupted. Browser-safe: `save` decides where the checkpoint goes.
 */
export class CheckpointSchedule {
  private lastSave: number;

  constructor(
    private readonly intervalSeconds: number,
    private readonly save: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSave = now();
  }

  /** Saves if `intervalSeconds` have passed since the last save (at once when it is 0). */
  afterUpdate(): void {
    if (this.intervalSeconds === 0 || (this.now() - this.lastSave) / 1000 >= this.intervalSeconds)
      this.saveNow();
  }

  /** Saves now: at the end of the loop. */
  saveNow(): void {
    this.save();
    this.lastSave = this.now();
  }
}
