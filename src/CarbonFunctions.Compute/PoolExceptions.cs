namespace CarbonFunctions.Compute;

/// <summary>A request would take the nodes running across all pools above Carbon:Pools:MaxTotalNodes; nothing was started.</summary>
public sealed class PoolBudgetExceededException : InvalidOperationException
{
    public PoolBudgetExceededException(string poolId, int requestedNodes, int otherPoolsNodes, int maxTotalNodes)
        : base($"Pool '{poolId}' asked for {requestedNodes} node(s) while other pools hold {otherPoolsNodes}; " +
               $"that would exceed Carbon:Pools:MaxTotalNodes = {maxTotalNodes}. The request was refused, not clamped.")
    {
        PoolId = poolId;
        RequestedNodes = requestedNodes;
        OtherPoolsNodes = otherPoolsNodes;
        MaxTotalNodes = maxTotalNodes;
    }

    public PoolBudgetExceededException()
    {
        PoolId = string.Empty;
    }

    public PoolBudgetExceededException(string message)
        : base(message)
    {
        PoolId = string.Empty;
    }

    public PoolBudgetExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
        PoolId = string.Empty;
    }

    public string PoolId { get; }

    public int RequestedNodes { get; }

    public int OtherPoolsNodes { get; }

    public int MaxTotalNodes { get; }
}

/// <summary>The pool's control plane refused the call for rate reasons; retry later.</summary>
public sealed class PoolThrottledException : Exception
{
    public PoolThrottledException()
    {
    }

    public PoolThrottledException(string message)
        : base(message)
    {
    }

    public PoolThrottledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The pool's cloud resources (scale set, tagged VMs or instances) do not exist and this adapter does not create them.</summary>
public sealed class PoolNotFoundException : InvalidOperationException
{
    public PoolNotFoundException()
    {
    }

    public PoolNotFoundException(string message)
        : base(message)
    {
    }

    public PoolNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
