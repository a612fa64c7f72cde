using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

public sealed partial class Trainer
{
    private sealed class NonFiniteException(string message) : Exception(message);

    /// <summary>
    /// Stops the run before the optimizer applies a step whose loss, a term or a gradient is not finite. The
    /// common case costs one fused reduction on the device and one read: the sum (in float64) of the loss, the
    /// device terms and every gradient's sum is finite exactly when all of them are (a NaN or ±∞ anywhere makes
    /// it non-finite). Only when that fails are the parts examined one by one to name the culprit.
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
                    if (p.grad is { } g) parts.Add(g.sum(ScalarType.Float64).reshape(1));
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
        Fail($"a gradient of the {lossName} overflowed");

        void Fail(string what) => throw new NonFiniteException(
            $"Stopped at {Where(phase, criticIndex)}: {what}{TermsText(result)}. {CheckpointAdvice()} Try a smaller learning rate.");
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
