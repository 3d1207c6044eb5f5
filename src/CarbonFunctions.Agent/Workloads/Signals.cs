using System.Runtime.InteropServices;

namespace CarbonFunctions.Agent.Workloads;

/// <summary>POSIX signals by name (Linux numbering), sent with kill(2): .NET can only SIGKILL another process.</summary>
internal static partial class Signals
{
    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SIGHUP"] = 1,
        ["SIGINT"] = 2,
        ["SIGUSR1"] = 10,
        ["SIGUSR2"] = 12,
        ["SIGTERM"] = 15,
    };

    public static IEnumerable<string> Names => Numbers.Keys;

    public static int? TryParse(string? name) => name is not null && Numbers.TryGetValue(name, out var number) ? number : null;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is gone.</summary>
    public static bool Send(int pid, int signal)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("signals need a POSIX system; on Windows configure Agent:CheckpointCommand");
        }

        return Kill(pid, signal) == 0;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
