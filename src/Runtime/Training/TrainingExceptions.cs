namespace GanDsl.Training;

/// <summary>
/// The run cannot start: a bad option, an unknown name, a missing or corrupt file, a checkpoint of another
/// run. Thrown before anything is written; the message is one sentence that says what to do.
/// </summary>
public sealed class TrainingSetupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A checkpoint file is missing, corrupt, truncated, or does not belong to the run it is loaded into.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : IOException(message, inner);

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

/// <summary>Which step of the alternating loop produced a result.</summary>
public enum StepPhase
{
    /// <summary>A discriminator (critic) step.</summary>
    Critic,
    /// <summary>A generator step.</summary>
    Generator,
}

/// <summary>One finished step, after its optimizer update and (for a critic step) its weight clipping.</summary>
/// <param name="Step">The generator step this belongs to (0-based: the critic steps before generator step 0 report 0).</param>
/// <param name="Phase">Critic or generator step.</param>
/// <param name="CriticIndex">Index of the critic step within the generator step (0..CriticSteps−1); 0 for a generator step.</param>
/// <param name="Result">The loss and terms the step reported.</param>
public sealed record StepEvent(long Step, StepPhase Phase, int CriticIndex, StepResult Result);
