namespace GanDsl.Training;

/// <summary>
/// Code the trainer calls but does not own failed: a loss's step or <c>EndOfEpoch</c>, a model family's
/// <c>Build</c>, a data source. The message names the type and member and says what went wrong in one sentence;
/// <see cref="Exception.InnerException"/> keeps the original exception with its stack trace. The run's outputs and
/// its last checkpoint are left as they were.
/// </summary>
public sealed class UserCodeException : Exception
{
    /// <param name="type">The type whose code failed.</param>
    /// <param name="member">The member that was called (<c>DiscriminatorStep</c>, <c>Build</c>).</param>
    /// <param name="what">What went wrong, without the type and member (e.g. "threw NullReferenceException: ...").</param>
    /// <param name="inner">The exception the code threw, if any.</param>
    public UserCodeException(Type type, string member, string what, Exception? inner = null)
        : base($"{type.FullName}.{member} {what}", inner)
    {
        Type = type;
        Member = member;
    }

    /// <summary>The type whose code failed.</summary>
    public Type Type { get; }

    /// <summary>The member that was called.</summary>
    public string Member { get; }

    /// <summary>
    /// Whether the trainer turns <paramref name="e"/> into a <see cref="UserCodeException"/>: every exception
    /// but those the process cannot go on from and the trainer's own, which already say where they come from.
    /// </summary>
    internal static bool IsFenced(Exception e) =>
        e is not (OutOfMemoryException or InsufficientExecutionStackException or OperationCanceledException
            or UserCodeException or TrainingSetupException or TrainingStepException or CheckpointException or GradientException);

    /// <summary>The fence around one call: <paramref name="e"/> thrown by <paramref name="member"/> of <paramref name="type"/>, with where it
    /// happened.</summary>
    internal static UserCodeException Threw(Type type, string member, Exception e, string? where = null) =>
        new(type, member, $"threw {e.GetType().Name}{(where is null ? "" : $" at {where}")}: {e.Message}", e);
}
