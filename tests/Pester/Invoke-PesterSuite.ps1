<#
.SYNOPSIS
    Runs the Pester suite in this (child) pwsh and writes a JSON summary for build.ps1.
    A binary module cannot be unloaded, so build.ps1 always starts a fresh pwsh -NoProfile for this.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Filter
)

$ErrorActionPreference = 'Stop'
# Plain text everywhere: escape codes in captured child output make unreadable logs and invalid XML reports.
$env:NO_COLOR = '1'
$PSStyle.OutputRendering = 'PlainText'
Import-Module (Join-Path $PesterPath 'Pester.psd1') -Force

$files = Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' -Recurse
if ($Filter) { $files = $files | Where-Object Name -like "*$Filter*" }

$configuration = New-PesterConfiguration
$configuration.Run.Path = @($files.FullName)
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'

$result = Invoke-Pester -Configuration $configuration
# Containers that failed to run (a syntax error, a failing BeforeAll) count as failures too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount } |
    ConvertTo-Json | Set-Content -LiteralPath $SummaryPath
# Not `exit`: on its way out pwsh closes every remote session still open and waits for each without a limit,
# and PowerShell 7.6 can leave the close of a session that was running a pipeline hanging for good when the
# CPU is busy (the remoting tests close such sessions). The results are written; nothing is left to wait for.
[Environment]::Exit([int]($failed -gt 0))
