class BaseModel:
    def __init__(self, summary_writer=None):
        self.summary_writer = summary_writer

    def _save_log_into_tb_file(self, step, stage, loss_dict):
        for name, value in loss_dict.items():
            self.summary_writer.add_scalar(f"{stage}/{name}", value, step)
