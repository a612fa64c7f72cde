using System.ComponentModel;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl;

/// <summary>
/// Small tensor helpers the code generated for DSL losses calls, where one named call reads better
/// than a line of shape arithmetic. Each checks its input's shape and says what was expected.
/// Together with <see cref="StepContext"/> this is the whole runtime surface generated code touches,
/// besides TorchSharp's own tensor methods.
/// </summary>
/// <remarks>
/// Shapes follow the DSL's classes: a per-sample value is [B], a batch of samples is [B, ...].
/// Hand-written losses may use these too.
/// Hidden from IntelliSense: users write DSL words, not these calls.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LossOps
{
    /// <summary>
    /// A score network's output as one value per sample: [B,1] becomes [B]; [B] is kept.
    /// </summary>
    /// <param name="output">The network's output.</param>
    /// <param name="network">The network's name, for the error message.</param>
    /// <exception cref="ArgumentException">The output has another shape (a score network must return [B,1] or [B]).</exception>
    public static Tensor Score(Tensor output, string network)
    {
        var shape = output.shape;
        if (shape.Length == 1) return output;
        if (shape.Length == 2 && shape[1] == 1) return output.squeeze(1);
        throw new ArgumentException($"Network '{network}' is declared with NetworkOutput.Score, so it must return one value per sample ([B,1] or [B]), " +
            $"but it returned [{string.Join(", ", shape)}].", nameof(output));
    }

    /// <summary>
    /// <paramref name="network"/> applied to each of <paramref name="batches"/>, as the generated code calls it where
    /// applications of one network can share a forward pass: one pass on the batches concatenated along the first
    /// dimension, split after, when <see cref="StepContext.ShareForwardPasses"/> is on, the network is batch-independent
    /// as it is now (<see cref="BatchIndependence.Holds"/>) and the batches agree past the first dimension (shape, type,
    /// device); otherwise one pass each. Both give the same values and gradients up to float round-off: one larger
    /// matrix product in place of several smaller ones, and one backward pass through the network instead of several.
    /// </summary>
    /// <param name="context">The step's context (its switch).</param>
    /// <param name="network">The network.</param>
    /// <param name="batches">The batches, each [B_i, ...].</param>
    /// <returns>The outputs, in the order of <paramref name="batches"/>, and the joined output when the pass was shared.</returns>
    public static SharedForwardOutputs Forward(StepContext context, nn.Module<Tensor, Tensor> network, params Tensor[] batches)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Length > 1 && context.ShareForwardPasses && BatchSizesIfJoinable(batches) is { } sizes && BatchIndependence.Holds(network))
        {
            var output = network.call(cat(batches, 0));
            // A batch-independent network maps [N, ...] to [N, ...]; one that does not gets one pass per batch below, as if unshared.
            if (output.dim() > 0 && output.shape[0] == sizes.Sum()) return new SharedForwardOutputs(output.split(sizes, 0), output);
        }
        var outputs = new Tensor[batches.Length];
        for (var i = 0; i < batches.Length; i++) outputs[i] = network.call(batches[i]);
        return new SharedForwardOutputs(outputs, joined: null);
    }

    /// <summary>
    /// <paramref name="network"/>, which takes labels, applied to each of <paramref name="batches"/> with its
    /// <paramref name="labels"/>: as <see cref="Forward(StepContext, nn.Module{Tensor, Tensor}, Tensor[])"/>, with the labels
    /// concatenated like their batches (one pass when the network is batch-independent), else one pass each.
    /// </summary>
    public static SharedForwardOutputs Forward(StepContext context, nn.Module<Tensor, Tensor, Tensor> network, Tensor[] batches, Tensor[] labels)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != batches.Length) throw new ArgumentException($"{batches.Length} batches but {labels.Length} label tensors.", nameof(labels));
        if (batches.Length > 1 && context.ShareForwardPasses && BatchSizesIfJoinable(batches) is { } sizes && BatchIndependence.Holds(network))
        {
            var output = network.call(cat(batches, 0), cat(labels, 0));
            if (output.dim() > 0 && output.shape[0] == sizes.Sum()) return new SharedForwardOutputs(output.split(sizes, 0), output);
        }
        var outputs = new Tensor[batches.Length];
        for (var i = 0; i < batches.Length; i++) outputs[i] = network.call(batches[i], labels[i]);
        return new SharedForwardOutputs(outputs, joined: null);
    }

    /// <summary>The batches' sizes when they can be concatenated (same shape past the first dimension, type, device), else null.</summary>
    private static long[]? BatchSizesIfJoinable(Tensor[] batches)
    {
        var first = batches[0].shape;   // each .shape is a native call and a new array: read once per batch
        if (first.Length == 0) return null;
        var (dtype, deviceType, deviceIndex) = (batches[0].dtype, batches[0].device_type, batches[0].device_index);
        var sizes = new long[batches.Length];
        for (var i = 0; i < batches.Length; i++)
        {
            var b = batches[i];
            var shape = i == 0 ? first : b.shape;
            if (shape.Length != first.Length || b.dtype != dtype || b.device_type != deviceType || b.device_index != deviceIndex)
                return null;
            for (var d = 1; d < shape.Length; d++)
                if (shape[d] != first[d]) return null;
            sizes[i] = shape[0];
        }
        return sizes;
    }

    /// <summary>A feature network's output as [B,F]: [B,F] is kept, [B,...] is flattened per sample.</summary>
    /// <param name="output">The network's output.</param>
    /// <param name="network">The network's name, for the error message.</param>
    /// <exception cref="ArgumentException">The output has fewer than two dimensions.</exception>
    public static Tensor Features(Tensor output, string network)
    {
        var dim = output.dim();
        if (dim == 2) return output;
        if (dim > 2) return output.flatten(1);
        throw new ArgumentException($"Network '{network}' is declared with NetworkOutput.Features, so it must return [B,F], but it returned " +
            $"[{string.Join(", ", output.shape)}].", nameof(output));
    }

    /// <summary>Reshapes a per-sample value [B] to [B,1,...,1] so it scales each sample of <paramref name="like"/> by broadcasting.</summary>
    /// <param name="perSample">One value per sample, shape [B].</param>
    /// <param name="like">The batch it will be combined with.</param>
    public static Tensor PerSample(Tensor perSample, Tensor like)
    {
        var dims = like.dim();
        if (perSample.dim() != 1 || dims <= 1) return perSample;
        if (dims > 0 && perSample.shape[0] != like.shape[0])
            throw new ArgumentException($"PerSample: {perSample.shape[0]} per-sample values for a batch of {like.shape[0]} " +
                $"({NetworkCheck.Format(like.shape)}); give one value per sample.", nameof(perSample));
        var shape = new long[dims];
        shape[0] = perSample.shape[0];
        for (var i = 1; i < dims; i++) shape[i] = 1;
        return perSample.reshape(shape);
    }

    /// <summary>The mean over each sample's elements: [B,...] to [B] (a [B] input is returned as is).</summary>
    public static Tensor MeanPerSample(Tensor v) => v.dim() <= 1 ? v : v.flatten(1).mean([1L]);

    /// <summary>The mean over the batch, per element: [B,...] to [1,...], which broadcasts against the batch.</summary>
    public static Tensor BatchMean(Tensor v) => v.mean([0L], keepdim: true);

    /// <summary>The L2 norm of each sample's flattened features: [B,...] to [B] (of a [B] input: the absolute values).</summary>
    public static Tensor PerSampleNorm(Tensor v) => v.dim() <= 1 ? v.abs() : linalg.vector_norm(v.flatten(1), 2, [1L]);

    /// <summary>The Heaviside step of each element: 1 where <paramref name="v"/> &gt; 0, else 0, as a constant of <paramref name="v"/>'s type (no
    /// gradient).</summary>
    public static Tensor Step(Tensor v)
    {
        using var _ = torch.no_grad();
        return v.gt(0).to_type(v.dtype);
    }

    /// <summary>The population standard deviation over all elements, as a constant (no gradient flows through it; DRAGAN's std(x)).</summary>
    public static Tensor PopulationStd(Tensor v)
    {
        using var _ = torch.no_grad();
        return v.detach().std(unbiased: false);
    }

    /// <summary>
    /// <paramref name="t"/> if it already requires grad (it depends on a trained network);
    /// otherwise a leaf alias (sharing storage) that requires grad, so a gradient can be taken with respect to it.
    /// </summary>
    public static Tensor RequireGrad(Tensor t) => t.requires_grad ? t : t.detach().requires_grad_(true);

    /// <summary>
    /// Random interpolates α·a + (1-α)·b with one α per sample drawn from <paramref name="random"/>
    /// (WGAN-GP's x̂, Gulrajani et al. 2017), as one <c>lerp(b, a, α)</c> = b + α·(a − b) kernel instead of
    /// four (measured 11.4 → 5.9 µs, issue 19); equal up to rounding, with the same gradients (lerp's are
    /// differentiable again, for penalties).
    /// </summary>
    /// <exception cref="ArgumentException">A 0-d batch, or batches of different shapes (each sample of a is paired with one of b).</exception>
    public static Tensor Between(IStepRandom random, Tensor a, Tensor b)
    {
        if (a.dim() == 0 || b.dim() == 0)
            throw new ArgumentException($"Between(a, b) interpolates between two batches [B, ...], but {(a.dim() == 0 ? "a" : "b")} is a 0-d tensor.",
                a.dim() == 0 ? nameof(a) : nameof(b));
        // Samples are paired one to one; a single sample (a BatchMean, [1, ...]) is paired with every sample of the other.
        var sameSamples = a.shape.Skip(1).SequenceEqual(b.shape.Skip(1));
        if (!sameSamples || (a.shape[0] != b.shape[0] && a.shape[0] != 1 && b.shape[0] != 1))
            throw new ArgumentException($"Between(a, b) pairs each sample of a with one of b, but a is {NetworkCheck.Format(a.shape)} and b is " +
                $"{NetworkCheck.Format(b.shape)}: the real and generated batches must have the same shape (batch size included).", nameof(b));
        var batch = a.shape[0] >= b.shape[0] ? a : b;
        var alpha = PerSample(random.PerSampleUniform(batch.shape[0], a.dtype, a.device), batch);
        return torch.lerp(b, a, alpha);
    }

    /// <summary>
    /// <paramref name="v"/> augmented with a fresh draw from <paramref name="random"/>: DiffAugment's colour, translation
    /// and cutout for image batches, a jitter for point batches (<see cref="AugmentationDraw"/>).
    /// </summary>
    public static Tensor Augment(IStepRandom random, Tensor v) => AugmentationDraw.Draw(random, v).Apply(v);

    /// <summary>
    /// <paramref name="v"/> augmented with the step's shared draw number <paramref name="draw"/>: every batch augmented
    /// with the same number in one step gets the same transformation (per sample).
    /// </summary>
    public static Tensor AugmentWith(IStepRandom random, SharedAugmentations shared, Tensor v, double draw)
    {
        ArgumentNullException.ThrowIfNull(shared);
        return shared.Get(random, (long)draw, v).Apply(v);
    }

    /// <summary><paramref name="v"/> + σ·n, n ~ N(0, 1) per element (zCR's latent perturbation, Zhao et al. 2021).</summary>
    public static Tensor Jitter(IStepRandom random, Tensor v, double sigma)
    {
        ArgumentNullException.ThrowIfNull(random);
        return v + sigma * random.ElementwiseNormal(v.shape, v.dtype, v.device);
    }

    /// <summary>A scalar tensor with the element type and device of <paramref name="like"/>.</summary>
    public static Tensor Constant(double value, Tensor like) => torch.tensor(value, like.dtype, like.device);

    /// <summary>Mean binary cross-entropy with logits against a constant target: one fused call, stable for any logit.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, double target) =>
        F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target));

    /// <summary>
    /// Σᵢ BCE-with-logits(Score(outputs[i]), targets[i]), each a mean over its batch: the critic's
    /// BCE(D(x), 1) + BCE(D(G(z)), 0) of the non-saturating GAN (Goodfellow et al. 2014). When the batches ran as one
    /// forward pass and are the same size B, it is one call on the joined scores against the targets laid out per
    /// part, times the number of parts (n·mean over nB = Σ of the n means over B), so the forward and the backward
    /// pass each run the loss's kernels once instead of once per part (issue 19); otherwise one call per part, as the
    /// plain step computes it. Both agree to float round-off.
    /// </summary>
    /// <param name="outputs">The shared forward pass's outputs, one per part.</param>
    /// <param name="network">The score network's name, for <see cref="Score"/>'s error.</param>
    /// <param name="targets">One target probability per part.</param>
    public static Tensor BinaryCrossEntropyWithLogitsOfParts(SharedForwardOutputs outputs, string network, params double[] targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length != outputs.Length || targets.Length == 0)
            throw new ArgumentException($"{outputs.Length} outputs but {targets.Length} targets: give one target per part.", nameof(targets));
        if (outputs.Joined is { } joined && EqualPartSize(outputs) is { } size)
        {
            var scores = Score(joined, network);
            var target = empty_like(scores);
            for (var i = 0; i < targets.Length; i++) target.narrow(0, i * size, size).fill_(targets[i]);
            var mean = F.binary_cross_entropy_with_logits(scores, target);
            return targets.Length == 1 ? mean : mean.mul(targets.Length);
        }
        var sum = BinaryCrossEntropyWithLogits(Score(outputs[0], network), targets[0]);
        for (var i = 1; i < targets.Length; i++) sum = sum + BinaryCrossEntropyWithLogits(Score(outputs[i], network), targets[i]);
        return sum;
    }

    /// <summary>The parts' common first dimension, or null when they differ (the mean of the joined batch then weighs them unequally).</summary>
    private static long? EqualPartSize(SharedForwardOutputs outputs)
    {
        var size = outputs[0].dim() > 0 ? outputs[0].shape[0] : -1;
        for (var i = 1; i < outputs.Length; i++)
            if (outputs[i].dim() == 0 || outputs[i].shape[0] != size) return null;
        return size > 0 ? size : null;
    }

    /// <summary>Mean binary cross-entropy with logits against a target tensor.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target) =>
        F.binary_cross_entropy_with_logits(logits, target.expand_as(logits));

    /// <summary>Mean squared difference to a constant: one fused call.</summary>
    public static Tensor MseLoss(Tensor a, double target) => F.mse_loss(a, torch.full_like(a, target));

    /// <summary>Mean squared difference of two tensors (broadcast to a common shape).</summary>
    public static Tensor MseLoss(Tensor a, Tensor b)
    {
        // Not torch.broadcast_shapes: TorchSharp 0.107's aligns shapes from the left, so [B,F] against [F] throws.
        var both = torch.broadcast_tensors(a, b);
        return F.mse_loss(both[0], both[1]);
    }

    /// <summary>
    /// The batch mean of each sample's squared norm, E‖gᵢ‖² = Σ g² / B (R1, R2 and zero-centred gradient penalties,
    /// Mescheder, Geiger &amp; Nowozin 2018): squares summed over the whole batch, then divided by the batch size. No square
    /// root, so the gradient 2g/B holds at g = 0 too, and libtorch's pairwise sum keeps float32 accurate on large images
    /// (relative error 4e-8 on [16, 3·1024²] against 1.3e-4 for per-sample norms and 3.6e-4 for a BLAS dot product).
    /// A [B] or scalar g counts one element per sample.
    /// </summary>
    public static Tensor MeanSquaredNorm(Tensor g)
    {
        var samples = g.dim() == 0 ? 1 : g.shape[0];
        return g.square().sum().div(samples);
    }

    /// <summary>Mean absolute difference to a constant: one fused call (BEGAN's and EBGAN-style L1 energies).</summary>
    public static Tensor L1Loss(Tensor a, double target) => F.l1_loss(a, torch.full_like(a, target));

    /// <summary>Mean absolute difference of two tensors (broadcast to a common shape).</summary>
    public static Tensor L1Loss(Tensor a, Tensor b)
    {
        var both = torch.broadcast_tensors(a, b);
        return F.l1_loss(both[0], both[1]);
    }

    /// <summary>
    /// Per-sample cross-entropy of class logits against class labels, −log softmax(logits)[label]: [B,K] and int64 [B]
    /// to [B], in libtorch's log-softmax form (stable for any logit). AC-GAN's class loss (Odena, Olah &amp; Shlens 2017).
    /// </summary>
    /// <exception cref="ArgumentException">The logits are not [B,K] or the labels not int64 [B] with the same B.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels)
    {
        CheckClassLogitsAndLabels(logits, labels);
        return F.cross_entropy(logits, labels, reduction: nn.Reduction.None);
    }

    /// <summary>The mean of <see cref="CrossEntropy"/> over the batch: one libtorch call (cross_entropy with mean reduction).</summary>
    public static Tensor CrossEntropyMean(Tensor logits, Tensor labels)
    {
        CheckClassLogitsAndLabels(logits, labels);
        return F.cross_entropy(logits, labels);
    }

    private static void CheckClassLogitsAndLabels(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 2)
            throw new ArgumentException($"CrossEntropy needs class logits [B, K], but got {NetworkCheck.Format(logits.shape)}.", nameof(logits));
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != logits.shape[0])
            throw new ArgumentException($"CrossEntropy needs int64 class labels [{logits.shape[0]}] for logits {NetworkCheck.Format(logits.shape)}, but " +
                $"got {labels.dtype} {NetworkCheck.Format(labels.shape)}.", nameof(labels));
    }

    /// <summary>The real batch's class labels <c>y</c> (<see cref="StepContext.RealLabels"/>), checked present and shaped like the batch.</summary>
    /// <param name="context">The step's context.</param>
    /// <param name="loss">The loss's name, for the error message.</param>
    /// <exception cref="InvalidOperationException">The labels are null (unlabelled data) or not int64 [B].</exception>
    public static Tensor RealLabels(StepContext context, string loss)
    {
        ArgumentNullException.ThrowIfNull(context);
        return CheckedLabels(context.RealLabels, context.Real, loss, "y", "StepContext.RealLabels", "the class of each real sample");
    }

    /// <summary>The labels drawn with the noise, <c>yz</c> (<see cref="StepContext.NoiseLabels"/>), checked present and shaped like the noise batch.</summary>
    /// <exception cref="InvalidOperationException">The labels are null or not int64 [B].</exception>
    public static Tensor NoiseLabels(StepContext context, string loss)
    {
        ArgumentNullException.ThrowIfNull(context);
        return CheckedLabels(context.NoiseLabels, context.Noise, loss, "yz", "StepContext.NoiseLabels",
            "the classes the generator is asked for, drawn with the noise");
    }

    private static Tensor CheckedLabels(Tensor? labels, Tensor batch, string loss, string word, string property, string meaning)
    {
        if (labels is null)
            throw new InvalidOperationException($"Loss '{loss}' reads the class labels {word} ({meaning}), but {property} is null: train on labelled data " +
                "(a labelled dataset, UserData.FromTensor(x, y)) or, for a hand-built StepContext, set RealLabels, NoiseLabels and ClassCount.");
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != batch.shape[0])
            throw new InvalidOperationException($"Loss '{loss}': {property} ({word}) must be int64 [{batch.shape[0]}], one class per sample of the " +
                $"batch {NetworkCheck.Format(batch.shape)}, but it is {labels.dtype} {NetworkCheck.Format(labels.shape)}.");
        return labels;
    }

    /// <summary>A class-logits network's output [B,K], checked to have K = <paramref name="classCount"/> columns.</summary>
    /// <exception cref="ArgumentException">The output is not [B, classCount].</exception>
    public static Tensor ClassLogits(Tensor output, string network, int classCount)
    {
        if (output.dim() == 2 && output.shape[1] == classCount) return output;
        throw new ArgumentException($"Network '{network}' is declared with NetworkOutput.ClassLogits, so it must return one logit per class, [B, " +
            $"{classCount}] for data with {classCount} classes (StepContext.ClassCount), but it returned {NetworkCheck.Format(output.shape)}.", nameof(output));
    }

    /// <summary>
    /// The output of a score network with <paramref name="heads"/> class heads (AC-GAN's D with its classifier Q), checked
    /// to be [B, 1 + heads·K]: column 0 the score, then each head's K class logits.
    /// </summary>
    /// <exception cref="ArgumentException">The output has another shape (expected vs actual, naming the network).</exception>
    public static Tensor WithClassHeads(Tensor output, string network, int heads, int classCount, string loss)
    {
        var expected = 1 + (long)heads * classCount;
        if (classCount <= 0)
            throw new ArgumentException($"Loss '{loss}' reads {heads} class head(s) of network '{network}', but StepContext.ClassCount is {classCount}: " +
                "train on labelled data with K ≥ 1 classes.", nameof(classCount));
        if (output.dim() == 2 && output.shape[1] == expected) return output;
        throw new ArgumentException($"Network '{network}' has {heads} class head(s) in loss '{loss}', so it must return [B, 1 + {heads}·K] = [B, " +
            $"{expected}] for K = {classCount} classes " +
            $"(column 0 its score, then {heads} × {classCount} class logits), but it returned {NetworkCheck.Format(output.shape)}.", nameof(output));
    }

    /// <summary>Column 0 of a network's output with class heads, its score: [B, 1 + H·K] to [B].</summary>
    public static Tensor ScoreColumn(Tensor output) => output.select(1, 0);

    /// <summary>The K class logits of head <paramref name="index"/> (from 0): columns 1 + index·K to (index + 1)·K, [B,K].</summary>
    public static Tensor ClassHead(Tensor output, int index, int classCount) => output.narrow(1, 1 + (long)index * classCount, classCount);

    /// <summary>Elementwise minimum of two tensors.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => torch.minimum(a, b);

    /// <summary>Elementwise maximum of two tensors.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => torch.maximum(a, b);

    /// <summary>Clamps elementwise between two tensors (broadcast).</summary>
    public static Tensor Clamp(Tensor v, Tensor min, Tensor max) => torch.minimum(torch.maximum(v, min), max);

    /// <summary>
    /// ∂(Σ <paramref name="output"/>)/∂<paramref name="input"/> with the graph kept, so the gradient can itself be
    /// differentiated (gradient penalties). Unlike a bare <c>torch.autograd.grad</c>, a gradient that cannot be
    /// taken is a <see cref="GradientException"/> naming the loss and the term, never a dead process:
    /// TorchSharp's native <c>grad</c> has no error handler, so this goes through <c>backward</c> with
    /// <c>inputs</c> (which has one) and reads the input's <c>.grad</c>.
    /// </summary>
    /// <param name="output">The value to differentiate; summed first when it is not a scalar.</param>
    /// <param name="input">The tensor to differentiate with respect to.</param>
    /// <param name="loss">The loss's name, for the message.</param>
    /// <param name="term">The DSL text of the gradient, for the message.</param>
    /// <exception cref="GradientException">The output does not depend on the input, or libtorch reported an error.</exception>
    public static Tensor Grad(Tensor output, Tensor input, string loss, string term)
    {
        if (output.numel() != 1) output = output.sum();
        if (!input.requires_grad)
            throw new GradientException($"Loss '{loss}', {term}: the input does not require a gradient, so no gradient can be taken with respect to it.");
        if (!output.requires_grad)
            throw new GradientException($"Loss '{loss}', {term}: the value does not depend on the input through anything differentiable (no gradient path).");

        // A fresh .grad: nothing accumulated earlier may leak into the result.
        input.grad = null;
        try
        {
            torch.autograd.backward(output, retain_graph: true, create_graph: true, inputs: [input]);
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException)
        {
            throw new GradientException($"Loss '{loss}', {term}: libtorch could not take the gradient: {e.Message}", e);
        }
        var gradient = input.grad
            ?? throw new GradientException($"Loss '{loss}', {term}: the value does not depend on the input (libtorch returned no gradient).");
        input.grad = null;
        GradObserver?.Invoke(term, gradient);
        return gradient;
    }

    /// <summary>
    /// Sees every gradient <see cref="Grad"/> returns (still attached to its graph) on this thread, with its DSL text: the
    /// gradient checker (GanDsl.Verification) checks the penalties' double backward through it. Null, and free, in training.
    /// </summary>
    [ThreadStatic]
    internal static Action<string, Tensor>? GradObserver;

    /// <summary>
    /// The biased (V-statistic, diagonal included) estimate of MMD² between the samples of
    /// <paramref name="a"/> and <paramref name="b"/>, flattened per sample, under the kernel
    /// k(u,v) = Σ_σ exp(-‖u-v‖²/(2σ²)) (Gretton et al. 2012, eq. 5; Li, Swersky and Zemel 2015).
    /// </summary>
    /// <param name="a">First batch, [N,...].</param>
    /// <param name="b">Second batch, [M,...] with the same per-sample size.</param>
    /// <param name="sigmas">Kernel bandwidths; at least one, each positive.</param>
    public static Tensor Mmd2(Tensor a, Tensor b, double[] sigmas)
    {
        if (sigmas.Length == 0) throw new ArgumentException("Mmd2 needs at least one kernel width.", nameof(sigmas));
        foreach (var sigma in sigmas)
            if (!(sigma > 0) || double.IsInfinity(sigma)) throw new ArgumentException($"Kernel widths must be positive and finite, not {sigma}.",
                nameof(sigmas));
        var x = Rows(a);
        var y = Rows(b);
        var (xx, yy) = (x.square().sum(1), y.square().sum(1));
        // One [S,1,1] tensor of -1/(2σ²): every width's kernel in three calls on [S,N,M] instead of three per width.
        using var scales = torch.tensor(sigmas.Select(s => -1.0 / (2 * s * s)).ToArray(), x.dtype, x.device).reshape(sigmas.Length, 1, 1);
        return (KernelMean(x, xx, x, xx, scales) + KernelMean(y, yy, y, yy, scales) - 2.0 * KernelMean(x, xx, y, yy, scales)) * sigmas.Length;

        static Tensor Rows(Tensor t) => t.dim() == 1 ? t.reshape(t.shape[0], 1) : t.flatten(1);
    }

    /// <summary>
    /// The mean over pairs and widths of exp(−‖u_i − v_j‖²/(2σ²)): Mmd2's kernel mean divided by the number of
    /// widths. ‖u_i − v_j‖² = ‖u_i‖² + ‖v_j‖² − 2 u_i·v_j, one GEMM (addmm) without the [N,M,D] differences
    /// (issue 19: MMD-GAN's critic built three [256,256,16] of them per step); clamped at 0, where rounding can
    /// make it slightly negative. Unlike the norm ‖u_i − v_j‖ this is smooth, so the gradient at coincident points
    /// is finite (0). Rounding: about ε·(‖u‖² + ‖v‖²) per entry, against ε·‖u − v‖² from the differences.
    /// </summary>
    private static Tensor KernelMean(Tensor u, Tensor uu, Tensor v, Tensor vv, Tensor scales)
    {
        var d2 = torch.addmm(uu.unsqueeze(1) + vv.unsqueeze(0), u, v.t(), beta: 1, alpha: -2).clamp_min(0);
        return (d2.unsqueeze(0) * scales).exp().mean();
    }

    /// <summary>
    /// ‖u_i − v_j‖² for every pair of rows, [N,D] × [M,D] → [N,M], computed from differences (exact, and
    /// with a finite gradient at coincident points, unlike the ‖u‖² + ‖v‖² − 2u·v expansion).
    /// </summary>
    public static Tensor PairwiseSquaredDistances(Tensor u, Tensor v) =>
        (u.unsqueeze(1) - v.unsqueeze(0)).square().sum(2);

    /// <summary>
    /// log Σ exp over all elements: a scalar, computed stably (max-shifted by <c>torch.logsumexp</c>), so values below
    /// -88 or above 88 that over- or underflow <c>exp</c> in float32 give a finite result.
    /// </summary>
    public static Tensor LogSumExp(Tensor v) => torch.logsumexp(v.flatten(), 0);

    /// <summary>log Σ exp over each sample's elements, stably: [B,...] to [B] (a [B] input is returned as is: one element per sample).</summary>
    public static Tensor LogSumExpPerSample(Tensor v) => v.dim() <= 1 ? v : torch.logsumexp(v.flatten(1), 1);

    /// <summary>Softmax over each sample's elements (class logits), shape kept; of a [B] input, 1 (one element per sample).</summary>
    public static Tensor Softmax(Tensor v) => v.dim() <= 1 ? F.softmax(v.unsqueeze(1), 1).squeeze(1) : F.softmax(v.flatten(1), 1).reshape(v.shape);

    /// <summary>log softmax over each sample's elements, stably (t - logsumexp(t), never log of an underflowed softmax), shape kept.</summary>
    public static Tensor LogSoftmax(Tensor v) => v.dim() <= 1 ? F.log_softmax(v.unsqueeze(1), 1).squeeze(1) : F.log_softmax(v.flatten(1), 1).reshape(v.shape);

    /// <summary>
    /// The ceil(<paramref name="fraction"/>·B) largest values of a per-sample value [B], largest first (torch.topk over
    /// the batch): top-k training (Sinha et al. 2020, "Top-k Training of GANs: Improving GAN Performance by Throwing
    /// Away Bad Samples"). At least one value is kept.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not per-sample, or the fraction is not in (0, 1] (a hyperparameter or state set out of
    /// range).</exception>
    public static Tensor TopK(Tensor perSample, double fraction)
    {
        if (perSample.dim() != 1)
            throw new ArgumentException($"TopK ranks a per-sample value [B]; got shape [{string.Join(", ", perSample.shape)}].", nameof(perSample));
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction,
                "TopK keeps a fraction in (0, 1] of the batch: set the hyperparameter or state that gives it to such a value.");
        var batch = perSample.shape[0];
        var k = (int)Math.Max(1L, Math.Min(batch, (long)Math.Ceiling(fraction * batch)));
        return perSample.topk(k).values;
    }

    /// <summary>log(1 + t) for a host value, accurate near 0 (Goldberg 1991, Thm. 4); .NET's <c>double.LogP1</c> is <c>Log(t + 1)</c>.</summary>
    public static double Log1p(double t)
    {
        var u = 1 + t;
        if (u == 1) return t;
        if (double.IsInfinity(u)) return u;
        return Math.Log(u) * t / (u - 1);
    }

    /// <summary>e^t - 1 for a host value, accurate near 0 (Kahan's formula).</summary>
    public static double Expm1(double t)
    {
        var u = Math.Exp(t);
        if (u == 1) return t;
        var um1 = u - 1;
        if (um1 == -1 || double.IsInfinity(u)) return um1;
        return um1 * t / Math.Log(u);
    }

    /// <summary>σ(t) for a host value.</summary>
    public static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));

    /// <summary>softplus(t) = log(1 + e^t), stable for any t.</summary>
    public static double Softplus(double t) => Math.Max(t, 0) + Math.Log(1 + Math.Exp(-Math.Abs(t)));

    /// <summary>log σ(t) = -softplus(-t).</summary>
    public static double LogSigmoid(double t) => -Softplus(-t);

    /// <summary>max(t, 0).</summary>
    public static double Relu(double t) => Math.Max(t, 0);
}
