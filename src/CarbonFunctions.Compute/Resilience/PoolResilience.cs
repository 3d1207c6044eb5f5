using System.Net;
using Amazon.EC2;
using Amazon.Runtime;
using Azure;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CarbonFunctions.Compute.Resilience;

/// <summary>
/// The one place where the pool adapters' resilience pipelines are built: per-attempt timeout inside
/// a jittered exponential retry (honouring Retry-After) on throttling and server errors, behind a
/// circuit breaker so that a failing control plane is not hammered. The SDKs' own retries are turned
/// off by the adapters so that this is the only retry layer.
/// </summary>
public static class PoolResilience
{
    /// <summary>The pipeline for Azure Resource Manager calls (Azure.Core's <see cref="RequestFailedException"/>).</summary>
    public static ResiliencePipeline ForAzure(PoolResilienceOptions options, TimeProvider? timeProvider = null) =>
        Build(options, timeProvider, IsTransientAzure, RetryAfterAzure);

    /// <summary>The pipeline for EC2 Query API calls (<see cref="AmazonEC2Exception"/>).</summary>
    public static ResiliencePipeline ForAws(PoolResilienceOptions options, TimeProvider? timeProvider = null) =>
        Build(options, timeProvider, IsTransientAws, static _ => null);

    /// <summary>429, 408 and 5xx from ARM, plus transport failures and attempt timeouts.</summary>
    public static bool IsTransientAzure(Exception exception) => exception switch
    {
        RequestFailedException rfe => rfe.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException or TimeoutRejectedException => true,
        _ => false,
    };

    /// <summary>EC2 throttling codes and 5xx (capacity errors excepted), plus transport failures and attempt timeouts.</summary>
    public static bool IsTransientAws(Exception exception) => exception switch
    {
        // Capacity errors come as server errors but retrying them at once only burns the retry budget:
        // the caller records them (partial pool) and tries again at its own pace.
        AmazonServiceException ase when ase.ErrorCode?.StartsWith("Insufficient", StringComparison.Ordinal) == true => false,
        AmazonServiceException ase => IsThrottlingCode(ase.ErrorCode)
            || (int)ase.StatusCode >= 500
            || ase.StatusCode == HttpStatusCode.TooManyRequests
            || ase.ErrorCode is "InternalError" or "ServiceUnavailable" or "Unavailable",
        HttpRequestException or TimeoutRejectedException => true,
        _ => false,
    };

    private static bool IsThrottlingCode(string? code) =>
        code is "RequestLimitExceeded" or "Throttling" or "ThrottlingException" or "TooManyRequestsException";

    private static TimeSpan? RetryAfterAzure(Exception exception)
    {
        if (exception is RequestFailedException rfe && rfe.GetRawResponse() is { } response
            && response.Headers.TryGetValue("Retry-After", out var value)
            && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }

    private static ResiliencePipeline Build(
        PoolResilienceOptions options,
        TimeProvider? timeProvider,
        Func<Exception, bool> isTransient,
        Func<Exception, TimeSpan?> retryAfter)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handled = new PredicateBuilder().Handle<Exception>(isTransient);
        var builder = new ResiliencePipelineBuilder();
        if (timeProvider is not null)
        {
            builder.TimeProvider = timeProvider;
        }

        // Retry outermost, the breaker sees every attempt, and each attempt has its own timeout.
        return builder
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = handled,
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args =>
                {
                    // A server's Retry-After replaces our backoff (capped); without one, the jittered exponential backoff applies.
                    var asked = args.Outcome.Exception is { } ex ? retryAfter(ex) : null;
                    return ValueTask.FromResult<TimeSpan?>(asked is { } a ? (a > options.RetryMaxDelay ? options.RetryMaxDelay : a) : null);
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = handled,
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerDuration,
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }
}
