using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Azure.ResourceManager.Compute;
using Azure.ResourceManager.Compute.Models;
using Azure.ResourceManager.Resources;
using CarbonFunctions.Compute.Resilience;
using CarbonFunctions.Core.Pools;
using Polly;

namespace CarbonFunctions.Compute.Azure;

/// <summary>
/// Azure GPU pools through Azure Resource Manager: a scale set per pool (resized, started,
/// deallocated) or a set of pre-created VMs found by tag. It resizes and powers existing resources;
/// creating scale sets or VMs is left to infrastructure code.
/// </summary>
public sealed class AzurePoolProvider : IPoolProvider
{
    private const string Running = "PowerState/running";
    private const string Starting = "PowerState/starting";
    private const string Stopping = "PowerState/stopping";
    private const string Deallocating = "PowerState/deallocating";
    private const string StoppedAllocated = "PowerState/stopped";

    private readonly ArmClient _client;
    private readonly AzurePoolOptions _options;
    private readonly ResiliencePipeline _pipeline;

    /// <param name="client">An ARM client, e.g. from <see cref="CreateArmClient"/>.</param>
    /// <param name="pipeline">Defaults to <see cref="PoolResilience.ForAzure"/> with default options.</param>
    public AzurePoolProvider(ArmClient client, AzurePoolOptions options, ResiliencePipeline? pipeline = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _pipeline = pipeline ?? PoolResilience.ForAzure(new PoolResilienceOptions());
    }

    public string Name => "azure";

    /// <summary>
    /// An ARM client for <paramref name="options"/>: <see cref="DefaultAzureCredential"/> (managed identity
    /// in Azure) unless a credential is given; the SDK's own retries are off because the pool pipeline retries.
    /// </summary>
    public static ArmClient CreateArmClient(AzurePoolOptions options, TokenCredential? credential = null, HttpPipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var armOptions = new ArmClientOptions();
        armOptions.Retry.MaxRetries = 0;
        if (options.ArmEndpoint is { } endpoint)
        {
            armOptions.Environment = new ArmEnvironment(endpoint, options.ArmAudience ?? endpoint.GetLeftPart(UriPartial.Authority));
        }

        if (transport is not null)
        {
            armOptions.Transport = transport;
        }

        return new ArmClient(credential ?? new DefaultAzureCredential(), options.SubscriptionId, armOptions);
    }

    public Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Nodes);
        return _options.Mode == AzurePoolMode.ScaleSet
            ? EnsureScaleSetAsync(spec, cancellationToken)
            : EnsureTaggedVmsAsync(spec, cancellationToken);
    }

    public Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken) =>
        _options.Mode == AzurePoolMode.ScaleSet
            ? DeallocateScaleSetAsync(poolId, scaleToZero: false, cancellationToken)
            : DeallocateTaggedVmsAsync(poolId, PoolState.Paused, cancellationToken);

    public Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken) =>
        _options.Mode == AzurePoolMode.ScaleSet
            ? DeallocateScaleSetAsync(poolId, scaleToZero: _options.StopScalesToZero, cancellationToken)
            : DeallocateTaggedVmsAsync(poolId, PoolState.Stopped, cancellationToken);

    public async Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken)
    {
        if (_options.Mode == AzurePoolMode.ScaleSet)
        {
            var scaleSet = await TryGetScaleSetAsync(poolId, cancellationToken).ConfigureAwait(false);
            return scaleSet is null ? PoolStatus.NotFound(poolId) : await ScaleSetStatusAsync(poolId, scaleSet, null, cancellationToken).ConfigureAwait(false);
        }

        var vms = await TaggedVmsAsync(poolId, cancellationToken).ConfigureAwait(false);
        return VmStatus(poolId, vms, requested: vms.Count(v => v.IsOn), null);
    }

    public async Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken)
    {
        var active = new List<PoolStatus>();
        if (_options.Mode == AzurePoolMode.ScaleSet)
        {
            var scaleSets = await _pipeline.ExecuteAsync(
                async ct =>
                {
                    var list = new List<VirtualMachineScaleSetResource>();
                    await foreach (var s in ResourceGroup().GetVirtualMachineScaleSets().GetAllAsync(ct).ConfigureAwait(false))
                    {
                        list.Add(s);
                    }

                    return list;
                },
                cancellationToken).ConfigureAwait(false);
            foreach (var scaleSet in scaleSets)
            {
                if (PoolIdOf(scaleSet.Data) is { } poolId && (scaleSet.Data.Sku?.Capacity ?? 0) > 0)
                {
                    var status = await ScaleSetStatusAsync(poolId, scaleSet, null, cancellationToken).ConfigureAwait(false);
                    if (status.RunningNodes > 0 || status.State == PoolState.Starting)
                    {
                        active.Add(status);
                    }
                }
            }

            return active;
        }

        var all = await AllTaggedVmsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var pool in all.GroupBy(v => v.PoolId, StringComparer.Ordinal))
        {
            var vms = await WithPowerStatesAsync(pool.Select(p => p.Vm), cancellationToken).ConfigureAwait(false);
            if (vms.Any(v => v.IsOn))
            {
                active.Add(VmStatus(pool.Key, vms, vms.Count(v => v.IsOn), null));
            }
        }

        return active;
    }

    // ---- scale sets ----

    private string ScaleSetName(string poolId) =>
        _options.ScaleSetName is { Length: > 0 } fixedName ? fixedName : _options.ScaleSetNamePattern.Replace("{poolId}", poolId, StringComparison.Ordinal);

    private string? PoolIdOf(VirtualMachineScaleSetData data)
    {
        if (data.Tags.TryGetValue(_options.PoolTagName, out var tagged))
        {
            return tagged;
        }

        if (_options.ScaleSetName is { Length: > 0 })
        {
            return null;
        }

        var pattern = _options.ScaleSetNamePattern;
        var at = pattern.IndexOf("{poolId}", StringComparison.Ordinal);
        var prefix = pattern[..at];
        var suffix = pattern[(at + "{poolId}".Length)..];
        return data.Name.Length > prefix.Length + suffix.Length
            && data.Name.StartsWith(prefix, StringComparison.Ordinal)
            && data.Name.EndsWith(suffix, StringComparison.Ordinal)
            ? data.Name[prefix.Length..^suffix.Length]
            : null;
    }

    private async Task<VirtualMachineScaleSetResource?> TryGetScaleSetAsync(string poolId, CancellationToken cancellationToken)
    {
        var id = VirtualMachineScaleSetResource.CreateResourceIdentifier(_options.SubscriptionId, _options.ResourceGroup, ScaleSetName(poolId));
        try
        {
            var response = await _pipeline.ExecuteAsync(
                async ct => await _client.GetVirtualMachineScaleSetResource(id).GetAsync(cancellationToken: ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return response.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private async Task<PoolStatus> EnsureScaleSetAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        var scaleSet = await TryGetScaleSetAsync(spec.PoolId, cancellationToken).ConfigureAwait(false)
            ?? throw new PoolNotFoundException(
                $"Scale set '{ScaleSetName(spec.PoolId)}' does not exist in resource group '{_options.ResourceGroup}'; this adapter resizes existing scale sets and does not create them.");
        string? detail = null;
        var data = scaleSet.Data;
        var tagged = data.Tags.TryGetValue(_options.PoolTagName, out var owner) && owner == spec.PoolId;
        if ((data.Sku?.Capacity ?? 0) != spec.Nodes || !tagged)
        {
            var patch = new VirtualMachineScaleSetPatch
            {
                Sku = new ComputeSku { Name = data.Sku?.Name, Tier = data.Sku?.Tier, Capacity = spec.Nodes },
            };
            foreach (var tag in data.Tags.Concat(spec.Tags))
            {
                patch.Tags[tag.Key] = tag.Value;
            }

            patch.Tags[_options.PoolTagName] = spec.PoolId;
            detail = await RunOperationAsync(ct => scaleSet.UpdateAsync(WaitUntil.Started, patch, ct), cancellationToken).ConfigureAwait(false);
        }

        var view = await InstanceViewAsync(scaleSet, cancellationToken).ConfigureAwait(false);
        if (spec.Nodes > 0 && Count(view, Running) + Count(view, Starting) < spec.Nodes)
        {
            // Deallocated or stopped instances stay so after a resize; power them on (new ones start by themselves).
            detail = Join(detail, await RunOperationAsync(ct => scaleSet.PowerOnAsync(WaitUntil.Started, null, ct), cancellationToken).ConfigureAwait(false));
        }

        return await ScaleSetStatusAsync(spec.PoolId, scaleSet, detail, cancellationToken, spec.Nodes).ConfigureAwait(false);
    }

    private async Task<PoolStatus> DeallocateScaleSetAsync(string poolId, bool scaleToZero, CancellationToken cancellationToken)
    {
        var scaleSet = await TryGetScaleSetAsync(poolId, cancellationToken).ConfigureAwait(false);
        if (scaleSet is null)
        {
            return PoolStatus.NotFound(poolId);
        }

        string? detail = null;
        if (scaleToZero)
        {
            if ((scaleSet.Data.Sku?.Capacity ?? 0) > 0)
            {
                var patch = new VirtualMachineScaleSetPatch { Sku = new ComputeSku { Name = scaleSet.Data.Sku?.Name, Tier = scaleSet.Data.Sku?.Tier, Capacity = 0 } };
                detail = await RunOperationAsync(ct => scaleSet.UpdateAsync(WaitUntil.Started, patch, ct), cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            var view = await InstanceViewAsync(scaleSet, cancellationToken).ConfigureAwait(false);
            if (Count(view, Running) + Count(view, Starting) + Count(view, StoppedAllocated) > 0)
            {
                detail = await RunOperationAsync(ct => scaleSet.DeallocateAsync(WaitUntil.Started, null, ct), cancellationToken).ConfigureAwait(false);
            }
        }

        var status = await ScaleSetStatusAsync(poolId, scaleSet, detail, cancellationToken).ConfigureAwait(false);
        return status.State == PoolState.Stopped && !scaleToZero ? status with { State = PoolState.Paused } : status;
    }

    private async Task<VirtualMachineScaleSetInstanceView> InstanceViewAsync(VirtualMachineScaleSetResource scaleSet, CancellationToken cancellationToken)
    {
        var response = await _pipeline.ExecuteAsync(
            async ct => await scaleSet.GetInstanceViewAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    private async Task<PoolStatus> ScaleSetStatusAsync(string poolId, VirtualMachineScaleSetResource scaleSet, string? detail, CancellationToken cancellationToken, int? requested = null)
    {
        // Re-read: capacity may have changed under the operations above.
        var fresh = await _pipeline.ExecuteAsync(
            async ct => await scaleSet.GetAsync(cancellationToken: ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var data = fresh.Value.Data;
        var view = await InstanceViewAsync(scaleSet, cancellationToken).ConfigureAwait(false);
        var capacity = (int)(data.Sku?.Capacity ?? 0);
        var running = Count(view, Running);
        var starting = Count(view, Starting);
        var stopping = Count(view, Stopping) + Count(view, Deallocating);
        var state = capacity == 0 && running == 0 ? PoolState.Stopped
            : data.ProvisioningState == "Failed" && running == 0 ? PoolState.Failed
            : running >= capacity ? PoolState.Running
            : starting > 0 ? PoolState.Starting
            : stopping > 0 ? PoolState.Stopping
            : running == 0 ? PoolState.Paused
            : PoolState.Starting;
        var want = requested ?? capacity;
        if (running < want && detail is null && state != PoolState.Paused)
        {
            var others = StatusSummary(view).Where(kv => kv.Key != Running).Select(kv => $"{kv.Value} {kv.Key}");
            detail = $"{running} of {want} instances running ({string.Join(", ", others)})";
        }

        return new PoolStatus
        {
            PoolId = poolId,
            State = state,
            RunningNodes = running,
            RequestedNodes = want,
            Region = data.Location.Name,
            NodeSize = data.Sku?.Name,
            Detail = detail,
        };
    }

    private static Dictionary<string, int> StatusSummary(VirtualMachineScaleSetInstanceView view)
    {
        var summary = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in view.VirtualMachineStatusesSummary ?? [])
        {
            if (item.Code is { } code && item.Count is { } count)
            {
                summary[code] = summary.GetValueOrDefault(code) + count;
            }
        }

        return summary;
    }

    private static int Count(VirtualMachineScaleSetInstanceView view, string code) => StatusSummary(view).GetValueOrDefault(code);

    // ---- tagged VMs ----

    private sealed record TaggedVm(VirtualMachineResource Vm, string PowerState, string? Message)
    {
        public string Name => Vm.Data.Name;

        public bool IsOn => PowerState is Running or Starting;

        /// <summary>Allocated VMs bill for compute even when stopped, so they count as on for deallocation.</summary>
        public bool IsAllocated => PowerState is Running or Starting or StoppedAllocated;
    }

    private ResourceGroupResource ResourceGroup() =>
        _client.GetResourceGroupResource(ResourceGroupResource.CreateResourceIdentifier(_options.SubscriptionId, _options.ResourceGroup));

    private async Task<List<(string PoolId, VirtualMachineResource Vm)>> AllTaggedVmsAsync(CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(
            async ct =>
            {
                // ARM cannot filter VMs by tag on list, so the resource group's VMs are listed and filtered here.
                var list = new List<(string, VirtualMachineResource)>();
                await foreach (var vm in ResourceGroup().GetVirtualMachines().GetAllAsync(filter: null, expand: null, cancellationToken: ct).ConfigureAwait(false))
                {
                    if (vm.Data.Tags.TryGetValue(_options.PoolTagName, out var poolId))
                    {
                        list.Add((poolId, vm));
                    }
                }

                return list;
            },
            cancellationToken).ConfigureAwait(false);

    private async Task<List<TaggedVm>> TaggedVmsAsync(string poolId, CancellationToken cancellationToken)
    {
        var all = await AllTaggedVmsAsync(cancellationToken).ConfigureAwait(false);
        return await WithPowerStatesAsync(all.Where(v => v.PoolId == poolId).Select(v => v.Vm), cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<TaggedVm>> WithPowerStatesAsync(IEnumerable<VirtualMachineResource> vms, CancellationToken cancellationToken)
    {
        var views = await Task.WhenAll(vms.OrderBy(v => v.Data.Name, StringComparer.Ordinal).Select(async vm =>
        {
            var view = await _pipeline.ExecuteAsync(
                async ct => await vm.InstanceViewAsync(ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            var statuses = view.Value.Statuses ?? [];
            var power = statuses.FirstOrDefault(s => s.Code?.StartsWith("PowerState/", StringComparison.Ordinal) == true)?.Code ?? "PowerState/unknown";
            var problem = statuses.FirstOrDefault(s => s.Level == ComputeStatusLevelType.Error)?.Message;
            return new TaggedVm(vm, power, problem);
        })).ConfigureAwait(false);
        return [.. views];
    }

    private async Task<PoolStatus> EnsureTaggedVmsAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        var vms = await TaggedVmsAsync(spec.PoolId, cancellationToken).ConfigureAwait(false);
        if (vms.Count == 0)
        {
            throw new PoolNotFoundException($"No VM in resource group '{_options.ResourceGroup}' carries tag {_options.PoolTagName}={spec.PoolId}.");
        }

        // Keep the VMs that are already on, so a resize never bounces a running node.
        var chosen = vms.OrderByDescending(v => v.IsOn).ThenBy(v => v.Name, StringComparer.Ordinal).Take(spec.Nodes).ToList();
        var toStart = chosen.Where(v => !v.IsOn).ToList();
        var toDeallocate = vms.Except(chosen).Where(v => v.IsAllocated).ToList();
        var problems = new List<string>();
        if (vms.Count < spec.Nodes)
        {
            problems.Add($"only {vms.Count} VM(s) carry tag {_options.PoolTagName}={spec.PoolId}, {spec.Nodes} requested");
        }

        var results = await Task.WhenAll(
            toStart.Select(v => PerVmAsync(v, ct => v.Vm.PowerOnAsync(WaitUntil.Started, ct), "start", cancellationToken))
            .Concat(toDeallocate.Select(v => PerVmAsync(v, ct => v.Vm.DeallocateAsync(WaitUntil.Started, null, ct), "deallocate", cancellationToken)))).ConfigureAwait(false);
        problems.AddRange(results.OfType<string>());

        var after = await WithPowerStatesAsync(vms.Select(v => v.Vm), cancellationToken).ConfigureAwait(false);
        return VmStatus(spec.PoolId, after, spec.Nodes, problems.Count == 0 ? null : string.Join("; ", problems));
    }

    private async Task<PoolStatus> DeallocateTaggedVmsAsync(string poolId, PoolState done, CancellationToken cancellationToken)
    {
        var vms = await TaggedVmsAsync(poolId, cancellationToken).ConfigureAwait(false);
        var results = await Task.WhenAll(vms.Where(v => v.IsAllocated)
            .Select(v => PerVmAsync(v, ct => v.Vm.DeallocateAsync(WaitUntil.Started, null, ct), "deallocate", cancellationToken))).ConfigureAwait(false);
        var problems = results.OfType<string>().ToList();
        var after = results.Length == 0 ? vms : await WithPowerStatesAsync(vms.Select(v => v.Vm), cancellationToken).ConfigureAwait(false);
        var status = VmStatus(poolId, after, 0, problems.Count == 0 ? null : string.Join("; ", problems));
        return status.RunningNodes == 0 && status.State == PoolState.Stopped ? status with { State = done } : status;
    }

    /// <summary>One VM's operation; a failure is returned as text so the others still go ahead (partial failure).</summary>
    private async Task<string?> PerVmAsync(TaggedVm vm, Func<CancellationToken, Task<ArmOperation>> start, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await RunOperationAsync(start, cancellationToken).ConfigureAwait(false) is { } failed ? $"{vm.Name}: {what} failed: {failed}" : null;
        }
        catch (RequestFailedException e)
        {
            return $"{vm.Name}: {what} failed: {e.ErrorCode ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)} {FirstLine(e.Message)}";
        }
    }

    private static PoolStatus VmStatus(string poolId, IReadOnlyCollection<TaggedVm> vms, int requested, string? detail)
    {
        var running = vms.Count(v => v.PowerState == Running);
        var starting = vms.Count(v => v.PowerState == Starting);
        var stopping = vms.Count(v => v.PowerState is Stopping or Deallocating);
        var state = running > 0 && running >= requested ? PoolState.Running
            : starting > 0 ? PoolState.Starting
            : stopping > 0 ? PoolState.Stopping
            : requested > 0 && running < requested && running == 0 ? PoolState.Failed
            : running > 0 ? PoolState.Running
            : PoolState.Stopped;
        if (running < requested)
        {
            var vmProblems = vms.Where(v => v.Message is not null).Select(v => $"{v.Name}: {v.Message}");
            detail = Join(detail, string.Join("; ", vmProblems) is { Length: > 0 } p ? p : null)
                ?? $"{running} of {requested} VMs running";
        }

        var first = vms.FirstOrDefault()?.Vm.Data;
        return new PoolStatus
        {
            PoolId = poolId,
            State = state,
            RunningNodes = running,
            RequestedNodes = requested,
            Region = first?.Location.Name,
            NodeSize = first?.HardwareProfile?.VmSize?.ToString(),
            Detail = detail,
        };
    }

    // ---- long-running operations ----

    /// <summary>
    /// Starts an ARM long-running operation through the pipeline (so a throttled or failed start is
    /// retried), then polls it at the configured interval. Returns the failure text of an operation
    /// that ran and failed (for Detail), null on success.
    /// </summary>
    private async Task<string?> RunOperationAsync(Func<CancellationToken, Task<ArmOperation>> start, CancellationToken cancellationToken)
    {
        var operation = await _pipeline.ExecuteAsync(async ct => await start(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return await WaitAsync(operation, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> RunOperationAsync<T>(Func<CancellationToken, Task<ArmOperation<T>>> start, CancellationToken cancellationToken)
    {
        var operation = await _pipeline.ExecuteAsync(async ct => await start(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return await WaitAsync(operation, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> WaitAsync(Operation operation, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.OperationTimeout);
        try
        {
            await operation.WaitForCompletionResponseAsync(_options.OperationPollInterval, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException e)
        {
            return $"{e.ErrorCode ?? "OperationFailed"}: {FirstLine(e.Message)}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"operation still running after {_options.OperationTimeout}";
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static string? Join(string? a, string? b) => (a, b) switch
    {
        (null, _) => b,
        (_, null) => a,
        _ => $"{a}; {b}",
    };
}
