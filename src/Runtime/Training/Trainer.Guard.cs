using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

public sealed partial class Trainer
{
    private sealed class NonFiniteException(string message) : Exception(message);

    /// <summary>
    /// Stops the run before the optimizer applies a step whose loss, a term or a gradient is not finite. The
    /// common case costs one reduction per gradient, one sum and one read: a NaN or ±∞ anywhere makes the sum of
    /// the loss, the terms and every gradient's sum non-finite. The gradients are summed in their own type (a
    /// float64 sum would first copy each gradient to float64, measured at 4% of a ring iteration), so a sum can
    /// overflow although every element is finite: only when the sum is not finite are the parts examined one by
    /// one, which names the culprit or finds none and lets the step go on.
    /// </summary>
    private void CheckFinite(StepResult result, StepPhase phase, int criticIndex, List<NamedOptimizer> optimizers)
    {
        var lossName = phase == StepPhase.Critic ? "discriminator loss" : "generator loss";
        using (var scope = torch.NewDisposeScope())
        {
            var parts = new List<Tensor>();
            if (result.LossTensor is { } loss) parts.Add(loss.to_type(ScalarType.Float64).reshape(1));
            else if (!double.IsFinite(result.Loss)) Fail($"the {lossName} is {result.Loss}");
            foreach (var term in result.TermValues)
            {
                if (term.Tensor is { } t) parts.Add(t.to_type(ScalarType.Float64).reshape(1));
                else if (!double.IsFinite(term.Value)) Fail($"term '{term.Name}' of the {lossName} is {term.Value}");
            }
            foreach (var o in optimizers)
                foreach (var (_, p) in o.Parameters)
                    if (p.grad is { } g) parts.Add(g.sum().to_type(ScalarType.Float64).reshape(1));
            if (parts.Count == 0 || torch.cat(parts).sum().isfinite().item<bool>()) return;
        }

        // Something is not finite: find what, in the order a reader would look.
        if (!double.IsFinite(result.Loss)) Fail($"the {lossName} is {result.Loss}");
        foreach (var term in result.TermValues)
            if (!double.IsFinite(term.Value)) Fail($"term '{term.Name}' of the {lossName} is {term.Value}");
        foreach (var o in optimizers)
            foreach (var (name, p) in o.Parameters)
            {
                using var g = p.grad;
                if (g is null) continue;
                using var finite = g.isfinite().all();
                if (!finite.item<bool>()) Fail($"the gradient of {o.Network}.{name} is not finite (the {lossName} was {result.Loss})");
            }
        // Every part is finite: only a float32 sum overflowed. Large, but not a reason to stop.

        void Fail(string what) => throw new NonFiniteException(
            $"Stopped at {Where(phase, criticIndex)}: {what}{TermsText(result)}. {CheckpointAdvice()} {WarnedAdvice(phase) ?? "Try a smaller learning rate."}");
    }

    /// <summary>The build's warnings about this step's loss (GAN0023, GAN0026), which explain a non-finite value better than the learning rate does.</summary>
    private string? WarnedAdvice(StepPhase phase)
    {
        var warned = _loss.Info.Warnings.Where(w => w.InDiscriminatorLoss == (phase == StepPhase.Critic)).ToList();
        return warned.Count == 0 ? null
            : "The build warned about this loss: " + string.Join("; ", warned.Select(w => $"{w.Id}: '{w.Expression}' can be non-finite: {w.Fix}")) + ".";
    }

    private string CheckpointAdvice() => File.Exists(CheckpointPath)
        ? $"The last checkpoint ({CheckpointPath}) was kept."
        : "No checkpoint had been written yet.";

    private static string TermsText(StepResult r)
    {
        var terms = r.Terms;
        return terms.Count == 0 ? "" : $"; terms: {string.Join(", ", terms.Select(t => $"{t.Key}={t.Value:G6}"))}";
    }
}

/// <summary>A training step failed inside libtorch (a network returned a wrong shape, a dtype clash...); the message is libtorch's, prefixed with the step.</summary>
public sealed class TrainingStepException(string message, Exception? inner = null) : Exception(message, inner);
