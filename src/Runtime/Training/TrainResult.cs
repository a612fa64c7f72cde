namespace GanDsl.Training;

/// <summary>How a run ended.</summary>
public enum TrainOutcome
{
    /// <summary>Every requested step ran.</summary>
    Completed,
    /// <summary>Stopped on request (Ctrl-C) after finishing the current step; a checkpoint was written.</summary>
    Interrupted,
    /// <summary>Stopped because a loss or gradient was not finite; the last good checkpoint was kept.</summary>
    Diverged,
}

/// <summary>The end of a run.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Step">Generator steps completed (counting those before a resume).</param>
/// <param name="Message">For <see cref="TrainOutcome.Diverged"/>: the step and the term that was not finite.</param>
public sealed record TrainResult(TrainOutcome Outcome, long Step, string? Message = null);
