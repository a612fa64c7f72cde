#if GANDSL_GENERATOR
namespace GanDsl.Generator.Ir;
#else
namespace GanDsl;
#endif

// These enums are shared by the DSL attributes (compile time) and GanDsl.Runtime's LossInfo
// (run time), so they live in the assembly both reference. The source generator compiles this file
// too (linked, in its own namespace: it cannot reference GanDsl.Dsl), so its specs use the same
// members and the range checks of enum arguments follow any change here.

/// <summary>Which side of the game a network plays.</summary>
public enum NetworkRole
{
    /// <summary>Trained by the generator step (G, an encoder trained with it).</summary>
    Generator,
    /// <summary>Trained by the discriminator step (D, a critic, an autoencoder discriminator, an auxiliary critic).</summary>
    Critic,
}

/// <summary>What a network's output means, so a model factory can build a fitting one.</summary>
public enum NetworkOutput
{
    /// <summary>A sample in data space (the generator).</summary>
    Sample,
    /// <summary>One number per sample: a logit or a critic score (shape [B,1] or [B]).</summary>
    Score,
    /// <summary>A feature vector per sample, shape [B,F] (McGAN, Cramér GAN, MMD-GAN).</summary>
    Features,
    /// <summary>A reconstruction of the input, same shape as the input (autoencoder discriminators: EBGAN, BEGAN, MAGAN).</summary>
    Reconstruction,
    /// <summary>One logit per class per sample, shape [B,K] for data with K classes (a classifier network).</summary>
    ClassLogits,
}

/// <summary>When a state variable's update expression is applied.</summary>
public enum StateUpdateTiming
{
    /// <summary>After every discriminator step, with that step's values.</summary>
    AfterCriticStep,
    /// <summary>After every generator step, with that step's values.</summary>
    AfterGeneratorStep,
    /// <summary>At the end of each pass over the data.</summary>
    EndOfEpoch,
}
