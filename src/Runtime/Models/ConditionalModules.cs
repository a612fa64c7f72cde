using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>
/// A network conditioned on a class label by concatenation, as in the conditional GAN of Mirza &amp; Osindero 2014
/// ("Conditional Generative Adversarial Nets", arXiv:1411.1784): the label is embedded by a learned table
/// (<c>nn.Embedding(K, e)</c>) and the embedding is concatenated with the (flat) input before <see cref="Body"/>:
/// forward(v, y) = body([v, embed(y)]).
/// </summary>
/// <remarks>Each sample's output depends only on its own input and label, so shared forward passes stay valid.</remarks>
internal sealed class LabelConcat : nn.Module<Tensor, Tensor, Tensor>, IBatchIndependent
{
    private readonly Embedding embed;
    private readonly nn.Module<Tensor, Tensor> body;

    /// <param name="classCount">K, the rows of the embedding table.</param>
    /// <param name="embeddingSize">e, the width of a label's embedding.</param>
    /// <param name="body">The network applied to [v, embed(y)]: its first layer takes the input's width plus e.</param>
    public LabelConcat(long classCount, long embeddingSize, nn.Module<Tensor, Tensor> body) : base(nameof(LabelConcat))
    {
        this.body = body;
        embed = nn.Embedding(classCount, embeddingSize);
        RegisterComponents();
    }

    /// <summary>The network applied to the input concatenated with the label's embedding.</summary>
    public nn.Module<Tensor, Tensor> Body => body;

    /// <summary>The label embedding, K × e.</summary>
    public Embedding Embed => embed;

    public override Tensor forward(Tensor input, Tensor labels)
    {
        using var e = embed.call(labels);
        using var joined = torch.cat([input, e], 1);
        return body.call(joined);
    }
}

/// <summary>
/// The projection discriminator of Miyato &amp; Koyama 2018 ("cGANs with Projection Discriminator", ICLR 2018, eq. 3):
/// D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩, with φ a feature trunk, ψ a linear layer and embed a K × F class embedding
/// (initialised Glorot-uniform, as in the authors' SNGAN code). ψ may have more than one output: column 0 is the
/// score, to which the projection is added; the other columns (AC-GAN class heads on the same trunk, Odena et al. 2017)
/// are ψ's alone, so a class head never sees the label it predicts.
/// </summary>
/// <remarks>
/// The embedding is never spectrally normalised (Miyato &amp; Koyama normalise it when the rest of D is; GanDsl's
/// <see cref="Nn.SpectralNorm"/> takes linear and convolution layers), also in <c>mlp-sn</c>, whose φ and ψ are. Each
/// sample's output depends only on its own input and label.
/// </remarks>
internal sealed class ProjectionCritic : nn.Module<Tensor, Tensor, Tensor>, IBatchIndependent
{
    private readonly nn.Module<Tensor, Tensor> phi;
    private readonly nn.Module<Tensor, Tensor> psi;
    private readonly Embedding embed;

    /// <param name="phi">The trunk φ: a batch to features [B, F].</param>
    /// <param name="features">F.</param>
    /// <param name="outputs">ψ's outputs: 1 (the score), plus H·K for H class heads.</param>
    /// <param name="classCount">K.</param>
    public ProjectionCritic(nn.Module<Tensor, Tensor> phi, long features, long outputs, long classCount)
        : this(phi, nn.Linear(features, outputs), features, classCount)
    {
    }

    /// <param name="phi">The trunk φ: a batch to features [B, F].</param>
    /// <param name="psi">ψ: features [B, F] to [B, 1 + H·K] (a linear layer, possibly spectrally normalised).</param>
    /// <param name="features">F.</param>
    /// <param name="classCount">K.</param>
    public ProjectionCritic(nn.Module<Tensor, Tensor> phi, nn.Module<Tensor, Tensor> psi, long features, long classCount) : base(nameof(ProjectionCritic))
    {
        this.phi = phi;
        this.psi = psi;
        embed = nn.Embedding(classCount, features);
        using (torch.no_grad()) nn.init.xavier_uniform_(embed.weight!);
        RegisterComponents();
    }

    /// <summary>φ, the trunk.</summary>
    public nn.Module<Tensor, Tensor> Phi => phi;

    /// <summary>ψ, the linear output layer.</summary>
    public nn.Module<Tensor, Tensor> Psi => psi;

    /// <summary>The class embedding, K × F.</summary>
    public Embedding Embed => embed;

    public override Tensor forward(Tensor input, Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        var h = phi.call(input);
        var output = psi.call(h);
        var projection = (embed.call(labels) * h).sum(1, keepdim: true);
        var result = output.shape[1] == 1
            ? output + projection
            : torch.cat([output[.., ..1] + projection, output[.., 1..]], 1);
        return result.MoveToOuterDisposeScope();
    }
}
