using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CarbonFunctions.Storage.Azurite;

/// <summary>
/// Starts the Azurite storage emulator from the project's own node_modules on free loopback ports
/// and stops it (the whole process tree) on dispose. Used by the local host, the demo and the tests.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's published development account key (not a secret; the same on every machine).</summary>
    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly StringBuilder _output;

    private AzuriteProcess(Process process, StringBuilder output, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _output = output;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    /// <summary>A connection string for the emulator's development account on this instance's ports.</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + DevelopmentAccountKey + ";" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <summary>Walks up from <paramref name="startDirectory"/> to the folder that has node_modules/.bin/azurite.</summary>
    public static string? FindExecutable(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>How many times a start is tried on fresh ports when another process took one of them first.</summary>
    public const int PortAttempts = 4;

    /// <summary>
    /// Starts Azurite in memory on three free loopback ports and waits until all three listen;
    /// <paramref name="choosePorts"/> (for tests) picks the ports of each attempt instead of <see cref="FreePorts"/>.
    /// </summary>
    public static async Task<AzuriteProcess> StartAsync(string? executable = null, TimeSpan? timeout = null, Func<(int Blob, int Queue, int Table)>? choosePorts = null, CancellationToken cancellationToken = default)
    {
        executable ??= FindExecutable(AppContext.BaseDirectory) ?? FindExecutable(Directory.GetCurrentDirectory())
            ?? throw new InvalidOperationException(
                "Azurite is not installed: run 'npm ci' in the repository root (package.json pins it), or use ./run.sh, which does.");

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnPortsAsync(executable, (choosePorts ?? FreePorts)(), timeout, cancellationToken);
            }
            catch (PortTakenException) when (attempt < PortAttempts)
            {
                // A port was free when chosen and taken before Azurite bound it (tests start several at once).
            }
        }
    }

    /// <summary>
    /// Three distinct free loopback ports: all three listeners are held open together while the ports are chosen,
    /// so the system cannot hand out one port twice. Another process may still take one before Azurite binds it.
    /// </summary>
    public static (int Blob, int Queue, int Table) FreePorts()
    {
        using var blob = new TcpListener(IPAddress.Loopback, 0);
        using var queue = new TcpListener(IPAddress.Loopback, 0);
        using var table = new TcpListener(IPAddress.Loopback, 0);
        blob.Start();
        queue.Start();
        table.Start();
        return (Port(blob), Port(queue), Port(table));

        static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether Azurite's output says it exited because a port was in use.</summary>
    public static bool LostAPort(string output) => output.Contains("EADDRINUSE", StringComparison.Ordinal);

    private static async Task<AzuriteProcess> StartOnPortsAsync(string executable, (int Blob, int Queue, int Table) ports, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var (blob, queue, table) = ports;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", table.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, output, blob, queue, table);

        // Generous: on a loaded 2-core CI machine Node.js can take tens of seconds to bind.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (!ListeningOn(Snapshot(output), blob, queue, table))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                string log;
                lock (output)
                {
                    log = output.ToString();
                }

                await azurite.DisposeAsync();
                var message = $"Azurite did not start listening on {blob}/{queue}/{table}: {log}";
                throw LostAPort(log) ? new PortTakenException(message) : new InvalidOperationException(message);
            }

            await Task.Delay(100, cancellationToken);
        }

        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (TimeoutException)
        {
            // Left to the OS; nothing more this process can do.
        }

        _process.Dispose();
    }

    /// <summary>
    /// Whether Azurite says all three services listen on the ports it was given. Its own words, not a connection:
    /// another process holding one of the ports would accept a connection too.
    /// </summary>
    public static bool ListeningOn(string output, int blob, int queue, int table) =>
        new[] { blob, queue, table }.All(port => output.Contains($"successfully listening at http://127.0.0.1:{port}", StringComparison.Ordinal));

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

/// <summary>Azurite could not bind a port chosen as free: another process took it first; a retry on fresh ports helps.</summary>
public sealed class PortTakenException(string message) : InvalidOperationException(message);
