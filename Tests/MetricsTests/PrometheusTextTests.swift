import Metrics
import Testing

@Suite("Prometheus text format")
struct PrometheusTextTests {
    @Test("HELP and TYPE before the samples, labels in name order, escaped; integers without a fraction")
    func format() {
        var text = PrometheusText()
        text.gauge("crm_x", "A \\ help\nline.", [(labels: ["reason": "a\"b\\c\nd", "entity": "users"], value: 3), (labels: [:], value: 0.25)])
        text.gauge("crm_y", "One value.", 1_767_225_599)
        #expect(text.text == """
            # HELP crm_x A \\\\ help\\nline.
            # TYPE crm_x gauge
            crm_x{entity="users",reason="a\\"b\\\\c\\nd"} 3
            crm_x 0.25
            # HELP crm_y One value.
            # TYPE crm_y gauge
            crm_y 1767225599

            """)
    }
}
