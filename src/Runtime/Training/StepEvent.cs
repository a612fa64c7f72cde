namespace GanDsl.Training;

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
