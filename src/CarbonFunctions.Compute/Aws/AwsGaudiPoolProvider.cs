using Amazon;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using CarbonFunctions.Compute.Resilience;
using CarbonFunctions.Core.Pools;
using Polly;

namespace CarbonFunctions.Compute.Aws;

/// <summary>
/// Intel Gaudi (DL1) pools on EC2: pre-created instances tagged with the pool id are started and
/// stopped, or, with a launch template configured, instances are launched and terminated.
/// </summary>
public sealed class AwsGaudiPoolProvider : IPoolProvider
{
    private static readonly string[] LiveStates = ["pending", "running", "stopping", "stopped", "shutting-down"];
    private static readonly string[] OnStates = ["pending", "running"];

    private readonly IAmazonEC2 _ec2;
    private readonly AwsPoolOptions _options;
    private readonly ResiliencePipeline _pipeline;

    /// <param name="ec2">An EC2 client, e.g. from <see cref="CreateClient"/>.</param>
    /// <param name="pipeline">Defaults to <see cref="PoolResilience.ForAws"/> with default options.</param>
    public AwsGaudiPoolProvider(IAmazonEC2 ec2, AwsPoolOptions options, ResiliencePipeline? pipeline = null)
    {
        _ec2 = ec2 ?? throw new ArgumentNullException(nameof(ec2));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _pipeline = pipeline ?? PoolResilience.ForAws(new PoolResilienceOptions());
    }

    public string Name => "aws";

    /// <summary>
    /// An EC2 client for <paramref name="options"/>. Credentials come from the SDK's default chain
    /// (environment, profile, instance/container role) unless given; the SDK's own retries are off
    /// because the pool pipeline retries.
    /// </summary>
    public static AmazonEC2Client CreateClient(AwsPoolOptions options, AWSCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonEC2Config { MaxErrorRetry = 0 };
        if (options.ServiceUrl is { } url)
        {
            config.ServiceURL = url.ToString();
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return credentials is null ? new AmazonEC2Client(config) : new AmazonEC2Client(credentials, config);
    }

    public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Nodes);
        if (spec.Nodes > _options.MaxNodesPerPool)
        {
            throw new PoolBudgetExceededException(
                $"Pool '{spec.PoolId}' asked for {spec.Nodes} instance(s); {AwsPoolOptions.SectionName}:MaxNodesPerPool is {_options.MaxNodesPerPool}. The request was refused.");
        }

        var instances = await DescribeAsync(spec.PoolId, LiveStates, cancellationToken).ConfigureAwait(false);
        var on = instances.Where(IsOn).OrderBy(i => i.InstanceId, StringComparer.Ordinal).ToList();
        var problems = new List<string>();

        if (on.Count < spec.Nodes)
        {
            var othersOn = (await DescribeAsync(null, OnStates, cancellationToken).ConfigureAwait(false))
                .Count(i => PoolIdOf(i) != spec.PoolId);
            if (othersOn + spec.Nodes > _options.MaxTotalNodes)
            {
                throw new PoolBudgetExceededException(spec.PoolId, spec.Nodes, othersOn, _options.MaxTotalNodes);
            }

            if (_options.LaunchesInstances)
            {
                problems.AddRange(await LaunchAsync(spec, spec.Nodes - on.Count, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                var startable = instances.Where(i => State(i) == "stopped").OrderBy(i => i.InstanceId, StringComparer.Ordinal)
                    .Take(spec.Nodes - on.Count).Select(i => i.InstanceId).ToList();
                if (on.Count + startable.Count < spec.Nodes)
                {
                    problems.Add($"only {on.Count + startable.Count} startable instance(s) carry tag {_options.PoolTagName}={spec.PoolId}, {spec.Nodes} requested");
                }

                problems.AddRange(await StartAsync(startable, cancellationToken).ConfigureAwait(false));
            }
        }
        else if (on.Count > spec.Nodes)
        {
            // Shrink from the end so the lowest ids (the ones kept on earlier resizes) keep running.
            var excess = on.Skip(spec.Nodes).Select(i => i.InstanceId).ToList();
            await (_options.LaunchesInstances ? TerminateAsync(excess, cancellationToken) : StopInstancesAsync(excess, cancellationToken)).ConfigureAwait(false);
        }

        var after = await DescribeAsync(spec.PoolId, LiveStates, cancellationToken).ConfigureAwait(false);
        return StatusOf(spec.PoolId, after, spec.Nodes, problems);
    }

    public async Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        var instances = await DescribeAsync(poolId, LiveStates, cancellationToken).ConfigureAwait(false);
        var on = instances.Where(IsOn).Select(i => i.InstanceId).ToList();
        await StopInstancesAsync(on, cancellationToken).ConfigureAwait(false);
        var after = on.Count == 0 ? instances : await DescribeAsync(poolId, LiveStates, cancellationToken).ConfigureAwait(false);
        var status = StatusOf(poolId, after, 0, []);
        return status.State == PoolState.Stopped ? status with { State = PoolState.Paused } : status;
    }

    public async Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        var instances = await DescribeAsync(poolId, LiveStates, cancellationToken).ConfigureAwait(false);
        var targets = (_options.LaunchesInstances ? instances.Where(i => State(i) != "shutting-down") : instances.Where(IsOn))
            .Select(i => i.InstanceId).ToList();
        await (_options.LaunchesInstances ? TerminateAsync(targets, cancellationToken) : StopInstancesAsync(targets, cancellationToken)).ConfigureAwait(false);
        var after = targets.Count == 0 ? instances : await DescribeAsync(poolId, LiveStates, cancellationToken).ConfigureAwait(false);
        return StatusOf(poolId, after, 0, []);
    }

    public async Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken)
    {
        var instances = await DescribeAsync(poolId, LiveStates, cancellationToken).ConfigureAwait(false);
        return StatusOf(poolId, instances, instances.Count(IsOn), []);
    }

    public async Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken)
    {
        var on = await DescribeAsync(null, OnStates, cancellationToken).ConfigureAwait(false);
        return [.. on.GroupBy(i => PoolIdOf(i) ?? string.Empty, StringComparer.Ordinal)
            .Where(g => g.Key.Length > 0)
            .Select(g => StatusOf(g.Key, [.. g], g.Count(), []))];
    }

    private async Task<List<Instance>> DescribeAsync(string? poolId, string[] states, CancellationToken cancellationToken)
    {
        var filters = new List<Filter>
        {
            poolId is null ? new Filter("tag-key", [_options.PoolTagName]) : new Filter($"tag:{_options.PoolTagName}", [poolId]),
            new Filter("instance-state-name", [.. states]),
        };
        var instances = new List<Instance>();
        string? next = null;
        do
        {
            var request = new DescribeInstancesRequest { Filters = filters, NextToken = next };
            var response = await _pipeline.ExecuteAsync(
                async ct => await _ec2.DescribeInstancesAsync(request, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            foreach (var reservation in response.Reservations ?? [])
            {
                instances.AddRange(reservation.Instances ?? []);
            }

            next = string.IsNullOrEmpty(response.NextToken) ? null : response.NextToken;
        }
        while (next is not null);
        return instances;
    }

    /// <summary>Starts the instances; when EC2 refuses the batch (e.g. capacity), each is tried alone so that the rest still start.</summary>
    private async Task<List<string>> StartAsync(List<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        try
        {
            await _pipeline.ExecuteAsync(
                async ct => await _ec2.StartInstancesAsync(new StartInstancesRequest { InstanceIds = ids }, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return [];
        }
        catch (AmazonEC2Exception batch) when (ids.Count > 1 && !PoolResilience.IsTransientAws(batch))
        {
            var problems = new List<string>();
            foreach (var id in ids)
            {
                try
                {
                    await _pipeline.ExecuteAsync(
                        async ct => await _ec2.StartInstancesAsync(new StartInstancesRequest { InstanceIds = [id] }, ct).ConfigureAwait(false),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (AmazonEC2Exception single) when (!PoolResilience.IsTransientAws(single))
                {
                    problems.Add($"{id}: {single.ErrorCode}: {single.Message}");
                }
            }

            return problems;
        }
        catch (AmazonEC2Exception single) when (!PoolResilience.IsTransientAws(single))
        {
            return [$"{ids[0]}: {single.ErrorCode}: {single.Message}"];
        }
    }

    private async Task<List<string>> LaunchAsync(PoolSpec spec, int count, CancellationToken cancellationToken)
    {
        var tags = new List<Tag> { new(_options.PoolTagName, spec.PoolId) };
        tags.AddRange(spec.Tags.Where(t => t.Key != _options.PoolTagName).Select(t => new Tag(t.Key, t.Value)));
        var request = new RunInstancesRequest
        {
            // MinCount 1: take what capacity there is rather than nothing; the status then says how many are missing.
            MinCount = 1,
            MaxCount = count,
            InstanceType = InstanceType.FindValue(string.IsNullOrWhiteSpace(spec.NodeSize) ? _options.InstanceType : spec.NodeSize),
            LaunchTemplate = new LaunchTemplateSpecification
            {
                LaunchTemplateId = string.IsNullOrWhiteSpace(_options.LaunchTemplateId) ? null : _options.LaunchTemplateId,
                LaunchTemplateName = string.IsNullOrWhiteSpace(_options.LaunchTemplateId) ? _options.LaunchTemplateName : null,
                Version = _options.LaunchTemplateVersion ?? "$Default",
            },
            TagSpecifications =
            [
                new TagSpecification { ResourceType = ResourceType.Instance, Tags = tags },
                new TagSpecification { ResourceType = ResourceType.Volume, Tags = tags },
            ],

            // One token per EnsureRunning call, reused by every retry of it, so a retried launch never doubles the pool.
            ClientToken = ClientTokenFor(spec.PoolId),
        };
        try
        {
            var response = await _pipeline.ExecuteAsync(
                async ct => await _ec2.RunInstancesAsync(request, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            var launched = response.Reservation?.Instances?.Count ?? 0;
            return launched < count ? [$"launched {launched} of {count} instance(s) asked for"] : [];
        }
        catch (AmazonEC2Exception e) when (!PoolResilience.IsTransientAws(e))
        {
            return [$"RunInstances: {e.ErrorCode}: {e.Message}"];
        }
    }

    /// <summary>EC2 client tokens are at most 64 ASCII characters.</summary>
    private static string ClientTokenFor(string poolId)
    {
        var token = $"{poolId}-{Guid.NewGuid():N}";
        return token.Length <= 64 ? token : token[^64..];
    }

    private Task StopInstancesAsync(List<string> ids, CancellationToken cancellationToken) =>
        ids.Count == 0 ? Task.CompletedTask : _pipeline.ExecuteAsync(
            async ct => await _ec2.StopInstancesAsync(new StopInstancesRequest { InstanceIds = ids }, ct).ConfigureAwait(false),
            cancellationToken).AsTask();

    private Task TerminateAsync(List<string> ids, CancellationToken cancellationToken) =>
        ids.Count == 0 ? Task.CompletedTask : _pipeline.ExecuteAsync(
            async ct => await _ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = ids }, ct).ConfigureAwait(false),
            cancellationToken).AsTask();

    private string? PoolIdOf(Instance instance) =>
        instance.Tags?.FirstOrDefault(t => t.Key == _options.PoolTagName)?.Value;

    private static string State(Instance instance) => instance.State?.Name?.Value ?? "unknown";

    private static bool IsOn(Instance instance) => State(instance) is "pending" or "running";

    private static PoolStatus StatusOf(string poolId, List<Instance> instances, int requested, List<string> problems)
    {
        var running = instances.Count(i => State(i) == "running");
        var pending = instances.Count(i => State(i) == "pending");
        var stopping = instances.Count(i => State(i) is "stopping" or "shutting-down");
        var state = pending > 0 ? PoolState.Starting
            : running > 0 && running >= requested ? PoolState.Running
            : stopping > 0 ? PoolState.Stopping
            : requested > 0 && running == 0 ? PoolState.Failed
            : running > 0 ? PoolState.Running
            : PoolState.Stopped;
        if (running + pending < requested)
        {
            // The instances' own state reasons say why they are not up (e.g. Server.InsufficientInstanceCapacity).
            problems.AddRange(instances.Where(i => !IsOn(i) && i.StateReason?.Message is { Length: > 0 })
                .Select(i => $"{i.InstanceId}: {i.StateReason.Message}"));
            if (problems.Count == 0)
            {
                problems.Add($"{running + pending} of {requested} instance(s) up");
            }
        }

        var first = instances.FirstOrDefault();
        return new PoolStatus
        {
            PoolId = poolId,
            State = state,
            RunningNodes = running,
            RequestedNodes = requested,
            Region = first?.Placement?.AvailabilityZone,
            NodeSize = first?.InstanceType?.Value,
            Detail = problems.Count == 0 ? null : string.Join("; ", problems.Distinct(StringComparer.Ordinal)),
        };
    }
}
