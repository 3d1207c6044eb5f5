namespace CarbonFunctions.Core.Lifecycle;

/// <summary>
/// What a team, a training run or the forecast timer says about a job from outside: the payload of a
/// <c>job-events</c> message, of the HTTP API's <c>POST jobs/{id}/{kind}</c> and of the orchestration's one external event.
/// </summary>
public sealed record JobSignal(string Kind, string? Reason = null)
{
    public const string Complete = "complete";
    public const string Fail = "fail";
    public const string Cancel = "cancel";
    public const string Replan = "replan";

    /// <summary>The kinds anyone may send; <see cref="Replan"/> is also sent by the forecast timer.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Complete, Fail, Cancel, Replan];

    public static bool IsKnownKind(string? kind) => kind is not null && Kinds.Contains(kind);

    /// <summary>The lifecycle event a signal stands for, with the default reason each kind gets when none is given.</summary>
    public JobEvent ToEvent(DateTimeOffset at) => Kind switch
    {
        Complete => new WorkFinished(at, true, Reason ?? "reported complete"),
        Fail => new WorkFinished(at, false, Reason ?? "reported failed"),
        Cancel => new CancelRequested(at, Reason ?? "cancelled by request"),
        Replan => new ForecastsUpdated(at),
        _ => throw new InvalidOperationException($"unknown job signal '{Kind}'; known: {string.Join(", ", Kinds)}"),
    };
}
