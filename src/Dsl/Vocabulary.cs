namespace GanDsl;

/// <summary>
/// The words a loss is written in. Import with <c>using static GanDsl.Vocabulary;</c>.
/// </summary>
/// <remarks>
/// <para>Every member is symbolic: the source generator reads the expression and emits tensor code;
/// calling a member at run time throws <see cref="InvalidOperationException"/>.</para>
/// <para>Shapes. Each value is a <b>scalar</b>, <b>per-sample</b> (one number per sample, shape [B]),
/// <b>per-sample features</b> ([B,F]) or a <b>batch of samples</b> ([B,...]). <c>x</c>, <c>z</c> and
/// <c>G(v)</c> are batches of samples; <c>D(v)</c> is per-sample (a score network returns [B,1], read as [B]);
/// <c>AE(v)</c> is a batch like its input. Class <b>labels</b> (<c>y</c>, <c>yz</c>: int64 [B]) are no numbers: they
/// only go to a network's label argument or to <c>CrossEntropy</c>; <b>class logits</b> ([B,K]) come from a
/// <c>[ClassHead]</c> or a <c>NetworkOutput.ClassLogits</c> network. A loss must reduce to a scalar (<see cref="Mean"/>, <see cref="Sum"/>).</para>
/// <para>Numerics. The generator rewrites <c>Log(Sigmoid(t))</c> to the log-sigmoid kernel and
/// <c>Log(1 - Sigmoid(t))</c> to <c>-Softplus(t)</c>, so the naive form is stable as written.</para>
/// </remarks>
public static class Vocabulary
{
    // ----- inputs -----

    /// <summary>The batch of real samples.</summary>
    public static Expr x => throw Expr.NotEvaluated(nameof(x));

    /// <summary>The batch of noise vectors fed to the generator.</summary>
    public static Expr z => throw Expr.NotEvaluated(nameof(z));

    /// <summary>A second noise batch, independent of <see cref="z"/> (Cramér GAN).</summary>
    public static Expr z2 => throw Expr.NotEvaluated(nameof(z2));

    /// <summary>
    /// The class labels of the real batch <see cref="x"/>: one class index per sample (int64 [B], no gradient), for
    /// conditional GANs (Mirza &amp; Osindero 2014, "Conditional Generative Adversarial Nets"). Use it only as a network's
    /// label argument (<c>D(x, y)</c>) or as <see cref="CrossEntropy"/>'s labels; a loss that names it trains only on
    /// labelled data.
    /// </summary>
    public static Expr y => throw Expr.NotEvaluated(nameof(y));

    /// <summary>
    /// The class labels drawn with the noise <see cref="z"/>: the classes the generator is asked for (int64 [B], no
    /// gradient), drawn by the trainer from the data's class frequencies. Write <c>G(z, yz)</c> and judge the result
    /// against the same labels: <c>D(G(z, yz), yz)</c>.
    /// </summary>
    public static Expr yz => throw Expr.NotEvaluated(nameof(yz));

    // ----- networks -----

    /// <summary>The discriminator or critic (role Critic, output Score): one logit or score per sample.</summary>
    /// <param name="v">A batch of samples.</param>
    public static Expr D(Expr v) => throw Expr.NotEvaluated(nameof(D));

    /// <summary>The generator (role Generator, output Sample): a batch of samples from a batch of noise.</summary>
    /// <param name="v">A batch of noise vectors.</param>
    public static Expr G(Expr v) => throw Expr.NotEvaluated(nameof(G));

    /// <summary>
    /// The discriminator applied to a batch and its class labels: one score per sample, conditioned on the class
    /// (Mirza &amp; Osindero 2014; the projection discriminator of Miyato &amp; Koyama 2018, "cGANs with Projection
    /// Discriminator", computes it as ψ(φ(v)) + embed(label)·φ(v) inside the network). The module is an
    /// <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking (batch, labels).
    /// </summary>
    /// <param name="v">A batch of samples.</param>
    /// <param name="label">Their class labels: <see cref="y"/> or <see cref="yz"/>.</param>
    public static Expr D(Expr v, Expr label) => throw Expr.NotEvaluated(nameof(D));

    /// <summary>The generator applied to noise and the classes asked for (Mirza &amp; Osindero 2014): <c>G(z, yz)</c>.</summary>
    /// <param name="v">A batch of noise vectors.</param>
    /// <param name="label">The classes to generate: <see cref="yz"/> (or <see cref="y"/>).</param>
    public static Expr G(Expr v, Expr label) => throw Expr.NotEvaluated(nameof(G));

    /// <summary>An autoencoder discriminator (role Critic, output Reconstruction): the reconstruction of <paramref name="v"/> (EBGAN, BEGAN, MAGAN).</summary>
    /// <param name="v">A batch of samples.</param>
    public static Expr AE(Expr v) => throw Expr.NotEvaluated(nameof(AE));

    // ----- reductions -----

    /// <summary>Mean over all elements: a scalar.</summary>
    public static Expr Mean(Expr v) => throw Expr.NotEvaluated(nameof(Mean));

    /// <summary>Sum over all elements: a scalar.</summary>
    public static Expr Sum(Expr v) => throw Expr.NotEvaluated(nameof(Sum));

    /// <summary>Mean over each sample's elements: per-sample (EBGAN's energy <c>MeanPerSample(Square(AE(v) - v))</c>).</summary>
    public static Expr MeanPerSample(Expr v) => throw Expr.NotEvaluated(nameof(MeanPerSample));

    /// <summary>L2 norm of each sample's flattened features: per-sample (gradient penalties).</summary>
    public static Expr Norm(Expr v) => throw Expr.NotEvaluated(nameof(Norm));

    /// <summary>
    /// Mean over the batch, per feature: [B,...] to [1,...], a single mean sample that broadcasts against the
    /// batch (McGAN's mean feature embedding E Φ(x); <c>Norm(BatchMean(a) - BatchMean(b))</c> is then one value).
    /// </summary>
    public static Expr BatchMean(Expr v) => throw Expr.NotEvaluated(nameof(BatchMean));

    /// <summary>Population standard deviation over all elements of the batch: a scalar constant (no gradient flows through it; DRAGAN).</summary>
    public static Expr Std(Expr v) => throw Expr.NotEvaluated(nameof(Std));

    /// <summary>
    /// log Σ exp over all elements of the batch: a scalar (like <see cref="Mean"/>), computed stably (shifted by the
    /// maximum), so scores below -88 or above 88 give a finite value where <c>Log(Sum(Exp(v)))</c> overflows
    /// (Softmax GAN's log-partition, Lin 2017).
    /// </summary>
    public static Expr LogSumExp(Expr v) => throw Expr.NotEvaluated(nameof(LogSumExp));

    /// <summary>log Σ exp over each sample's elements, stably: per-sample (like <see cref="MeanPerSample"/>; of class logits, the log-partition per
    /// sample).</summary>
    public static Expr LogSumExpPerSample(Expr v) => throw Expr.NotEvaluated(nameof(LogSumExpPerSample));

    /// <summary>The largest element of the whole batch: a scalar (the gradient goes to that element). <c>Max(a, b)</c> is elementwise.</summary>
    public static Expr Max(Expr v) => throw Expr.NotEvaluated(nameof(Max));

    /// <summary>The smallest element of the whole batch: a scalar (the gradient goes to that element). <c>Min(a, b)</c> is elementwise.</summary>
    public static Expr Min(Expr v) => throw Expr.NotEvaluated(nameof(Min));

    /// <summary>
    /// The ceil(<paramref name="fraction"/>·B) largest values of a per-sample value over a batch of B, largest first
    /// (at least one): top-k training (Sinha et al. 2020, "Top-k Training of GANs: Improving GAN Performance by
    /// Throwing Away Bad Samples"), whose generator loss uses only the fakes the critic rates most real:
    /// <c>Mean(Softplus(-TopK(D(G(z)), Nu)))</c>. The result has fewer rows than the batch: reduce it, or apply
    /// elementwise words to it; it does not combine with a full-batch per-sample value (GAN0025).
    /// </summary>
    /// <param name="v">A per-sample value (<c>D(G(z))</c>).</param>
    /// <param name="fraction">The fraction kept, in (0, 1]: a constant, a hyperparameter or loss state (to decay it per epoch).</param>
    public static Expr TopK(Expr v, Expr fraction) => throw Expr.NotEvaluated(nameof(TopK));

    // ----- elementwise -----

    /// <summary>
    /// The cross-entropy of class logits against class labels, per sample: −log softmax(logits)[label], shape [B],
    /// computed stably in log-softmax form (libtorch's <c>cross_entropy</c>). <c>Mean(CrossEntropy(Q(x), y))</c> is
    /// AC-GAN's class loss (Odena, Olah &amp; Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs").
    /// </summary>
    /// <param name="logits">Class logits [B,K]: a <see cref="ClassHeadAttribute"/> head or a network with <c>NetworkOutput.ClassLogits</c> output.</param>
    /// <param name="labels">Class labels: <see cref="y"/> or <see cref="yz"/>.</param>
    public static Expr CrossEntropy(Expr logits, Expr labels) => throw Expr.NotEvaluated(nameof(CrossEntropy));

    /// <summary>Natural logarithm. Of a sigmoid, the generator uses the stable log-sigmoid form.</summary>
    public static Expr Log(Expr v) => throw Expr.NotEvaluated(nameof(Log));
    /// <summary>Exponential.</summary>
    public static Expr Exp(Expr v) => throw Expr.NotEvaluated(nameof(Exp));
    /// <summary>Square root.</summary>
    public static Expr Sqrt(Expr v) => throw Expr.NotEvaluated(nameof(Sqrt));
    /// <summary>Absolute value.</summary>
    public static Expr Abs(Expr v) => throw Expr.NotEvaluated(nameof(Abs));
    /// <summary>Square.</summary>
    public static Expr Square(Expr v) => throw Expr.NotEvaluated(nameof(Square));
    /// <summary><paramref name="v"/> to the power <paramref name="exponent"/>.</summary>
    public static Expr Pow(Expr v, double exponent) => throw Expr.NotEvaluated(nameof(Pow));
    /// <summary>Logistic sigmoid σ(t) = 1 / (1 + e^-t).</summary>
    public static Expr Sigmoid(Expr v) => throw Expr.NotEvaluated(nameof(Sigmoid));
    /// <summary>log σ(t), computed stably (= -softplus(-t)).</summary>
    public static Expr LogSigmoid(Expr v) => throw Expr.NotEvaluated(nameof(LogSigmoid));
    /// <summary>softplus(t) = log(1 + e^t), computed stably.</summary>
    public static Expr Softplus(Expr v) => throw Expr.NotEvaluated(nameof(Softplus));
    /// <summary>max(t, 0).</summary>
    public static Expr Relu(Expr v) => throw Expr.NotEvaluated(nameof(Relu));
    /// <summary>Elementwise minimum (either side may be a constant).</summary>
    public static Expr Min(Expr a, Expr b) => throw Expr.NotEvaluated(nameof(Min));
    /// <summary>Elementwise maximum (either side may be a constant).</summary>
    public static Expr Max(Expr a, Expr b) => throw Expr.NotEvaluated(nameof(Max));
    /// <summary>Hyperbolic tangent (f-GAN's total-variation output activation ½·tanh, Nowozin et al. 2016).</summary>
    public static Expr Tanh(Expr v) => throw Expr.NotEvaluated(nameof(Tanh));
    /// <summary>log(1 + t), accurate for small t (f-GAN's conjugates, Nowozin et al. 2016).</summary>
    public static Expr Log1p(Expr v) => throw Expr.NotEvaluated(nameof(Log1p));
    /// <summary>e^t - 1, accurate for small t (f-GAN's KL conjugate exp(t - 1), Nowozin et al. 2016).</summary>
    public static Expr Expm1(Expr v) => throw Expr.NotEvaluated(nameof(Expm1));
    /// <summary>Softmax over each sample's elements (class logits): same shape, each sample's elements sum to 1 (Softmax GAN, Lin 2017).</summary>
    public static Expr Softmax(Expr v) => throw Expr.NotEvaluated(nameof(Softmax));
    /// <summary>log softmax over each sample's elements, computed stably (t - logsumexp t): same shape.</summary>
    public static Expr LogSoftmax(Expr v) => throw Expr.NotEvaluated(nameof(LogSoftmax));
    /// <summary>Clamps each element to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Expr Clamp(Expr v, Expr min, Expr max) => throw Expr.NotEvaluated(nameof(Clamp));
    /// <summary>
    /// The Heaviside step: 1 where <paramref name="v"/> &gt; 0, else 0 (no gradient). Turns a comparison into a
    /// factor, for rules that change a state only under a condition (MAGAN's margin:
    /// <c>m - Step(fake - real) * Relu(m - real)</c>).
    /// </summary>
    public static Expr Step(Expr v) => throw Expr.NotEvaluated(nameof(Step));

    // ----- gradients and randomness -----

    /// <summary>
    /// The gradient of <c>Sum(y)</c> with respect to <paramref name="at"/>, same shape as
    /// <paramref name="at"/>, with the graph kept so a penalty built from it can itself be
    /// differentiated. <paramref name="y"/> must depend on <paramref name="at"/>.
    /// </summary>
    public static Expr Grad(Expr y, Expr at) => throw Expr.NotEvaluated(nameof(Grad));

    /// <summary>
    /// Random interpolates α·a + (1-α)·b with one α ~ U[0,1) per sample (WGAN-GP's x̂).
    /// Identical <c>Between</c> expressions in one step are one draw.
    /// </summary>
    public static Expr Between(Expr a, Expr b) => throw Expr.NotEvaluated(nameof(Between));

    /// <summary>One U[0,1) draw per sample of <paramref name="like"/>: per-sample (DRAGAN's α).</summary>
    public static Expr UniformPerSample(Expr like) => throw Expr.NotEvaluated(nameof(UniformPerSample));

    /// <summary>U[0,1) noise with the shape of <paramref name="like"/>, one draw per element (DRAGAN's u).</summary>
    public static Expr UniformLike(Expr like) => throw Expr.NotEvaluated(nameof(UniformLike));

    /// <summary>
    /// <paramref name="v"/> randomly augmented, differentiably (gradients flow through to G): an image batch [B,C,H,W]
    /// with DiffAugment's reference policy, colour then translation then cutout (Zhao et al. 2020, "Differentiable
    /// Augmentation for Data-Efficient GAN Training"), a point batch [B,D] (or any value that is not 4-D) with a jitter
    /// v + 0.05·N(0,1) per element.
    /// Each sample gets its own transformation, drawn from the step's seeded random stream (restored on resume).
    /// Identical <c>Augment</c> expressions in one step are one draw; <c>Augment(x)</c> and <c>Augment(G(z))</c> are two
    /// independent draws, as in DiffAugment's code. For one transformation shared by several batches, see
    /// <see cref="Augment(Expr, double)"/>.
    /// </summary>
    public static Expr Augment(Expr v) => throw Expr.NotEvaluated(nameof(Augment));

    /// <summary>
    /// <paramref name="v"/> augmented as <see cref="Augment(Expr)"/>, with the step's shared draw number
    /// <paramref name="draw"/> (a constant whole number): every <c>Augment(·, draw)</c> of a step with the same number
    /// applies the same transformation to sample i of its batch, so <c>Augment(x, 1)</c> and <c>Augment(G(z), 1)</c>
    /// augment real and generated batches alike (their shapes must agree).
    /// </summary>
    public static Expr Augment(Expr v, double draw) => throw Expr.NotEvaluated(nameof(Augment));

    /// <summary>
    /// <paramref name="v"/> + σ·n with n ~ N(0, 1) per element, drawn from the step's seeded random stream: a Gaussian
    /// perturbation, such as zCR's latent T(z) = z + Δz (Zhao et al. 2021). <paramref name="sigma"/> is a constant.
    /// </summary>
    public static Expr Jitter(Expr v, double sigma) => throw Expr.NotEvaluated(nameof(Jitter));

    /// <summary>The value of <paramref name="v"/> with no gradient flowing back through it.</summary>
    public static Expr StopGradient(Expr v) => throw Expr.NotEvaluated(nameof(StopGradient));

    // ----- kernels -----

    /// <summary>
    /// The biased (V-statistic, diagonal included) estimate of MMD² between the samples of
    /// <paramref name="a"/> and <paramref name="b"/> (flattened per sample) under a sum of Gaussian
    /// kernels k(u,v) = Σ_σ exp(-‖u-v‖²/(2σ²)) (Gretton et al. 2012; GMMN, Li et al. 2015).
    /// With no <paramref name="sigmas"/>, σ ∈ {1, 2, 4, 8, 16}.
    /// </summary>
    public static Expr Mmd2(Expr a, Expr b, params double[] sigmas) => throw Expr.NotEvaluated(nameof(Mmd2));
}
