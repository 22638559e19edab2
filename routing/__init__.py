"""Call routing and appeal routing: pure logic over shipped reference data."""
