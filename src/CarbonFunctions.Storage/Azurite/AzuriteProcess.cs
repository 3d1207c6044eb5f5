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

    /// <summary>Starts Azurite in memory on three free loopback ports and waits until all three listen.</summary>
    public static async Task<AzuriteProcess> StartAsync(string? executable = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        executable ??= FindExecutable(AppContext.BaseDirectory) ?? FindExecutable(Directory.GetCurrentDirectory())
            ?? throw new InvalidOperationException(
                "Azurite is not installed: run 'npm ci' in the repository root (package.json pins it), or use ./run.sh, which does.");

        var blob = FreePort();
        var queue = FreePort();
        var table = FreePort();
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
        while (!(await Listening(blob) && await Listening(queue) && await Listening(table)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                string log;
                lock (output)
                {
                    log = output.ToString();
                }

                await azurite.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start listening on {blob}/{queue}/{table}: {log}");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
